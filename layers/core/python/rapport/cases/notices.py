"""What the cases send: a staff member's public reply, emailed to the case's contact (rapport.cases.service)."""

from __future__ import annotations

from rapport.notifications.catalog import Content, template_spec

CASE_REPLY = template_spec(
    "case_reply",
    "To a customer: a staff member's public reply on their case. Keep the case number in brackets in the "
    "subject ([CS-1042]): it is how the customer's answer will find its case.",
    ("case.id", "case.number", "case.subject", "case.status", "message.body"),
    ("case.number", "case.subject", "message.body"),
    {
        "case": {
            "id": "01JCASE000000000000000000",
            "number": "CS-1042",
            "subject": "The replacement part has not arrived",
            "status": "open",
        },
        "message": {"body": "Sorry for the wait: the part left our warehouse today."},
    },
    Content(
        subject="[{{ case.number }}] Re: {{ case.subject }}",
        text="Hello {{ recipient.first_name }},\n\n{{ message.body }}\n\n"
        "Reply to this email to answer; please keep [{{ case.number }}] in the subject.\n",
        html="<p>Hello {{ recipient.first_name }},</p>\n"
        '<div style="white-space: pre-wrap">{{ message.body }}</div>\n'
        "<p>Reply to this email to answer; please keep [{{ case.number }}] in the subject.</p>",
    ),
    Content(text="[{{ case.number }}] {{ message.body }}"),
)

_SLA_VARIABLES = ("case.id", "case.number", "case.subject", "case.priority", "case.queue", "sla.target", "sla.due_at")
_SLA_SAMPLE = {
    "case": {
        "id": "01JCASE000000000000000000",
        "number": "CS-1042",
        "subject": "The replacement part has not arrived",
        "priority": "high",
        "queue": "returns",
    },
    "sla": {"target": "first_response", "due_at": "2026-11-03T10:30:00Z"},
}

CASE_SLA_WARNING = template_spec(
    "case_sla_warning",
    "To a case's owner: its soonest SLA target is due shortly (the policy's warn_before_minutes).",
    _SLA_VARIABLES,
    ("case.number", "case.subject", "sla.target", "sla.due_at"),
    _SLA_SAMPLE,
    Content(
        subject="[{{ case.number }}] SLA {{ sla.target }} due at {{ sla.due_at }}",
        text="Hello {{ recipient.first_name }},\n\nThe {{ sla.target }} target of {{ case.number }} "
        "({{ case.subject }}) is due at {{ sla.due_at }}.\n",
        html="<p>Hello {{ recipient.first_name }},</p>\n<p>The {{ sla.target }} target of {{ case.number }} "
        "({{ case.subject }}) is due at {{ sla.due_at }}.</p>",
    ),
    Content(text="[{{ case.number }}] SLA {{ sla.target }} due at {{ sla.due_at }}"),
)

CASE_SLA_BREACHED = template_spec(
    "case_sla_breached",
    "To a case's owner, then its queue's manager: an SLA target of the case was breached (the escalation).",
    _SLA_VARIABLES,
    ("case.number", "case.subject", "sla.target", "sla.due_at"),
    _SLA_SAMPLE,
    Content(
        subject="[{{ case.number }}] SLA breached: {{ sla.target }}",
        text="Hello {{ recipient.first_name }},\n\nThe {{ sla.target }} target of {{ case.number }} "
        "({{ case.subject }}, {{ case.priority }}) was due at {{ sla.due_at }} and is breached.\n",
        html="<p>Hello {{ recipient.first_name }},</p>\n<p>The {{ sla.target }} target of {{ case.number }} "
        "({{ case.subject }}, {{ case.priority }}) was due at {{ sla.due_at }} and is breached.</p>",
    ),
    Content(text="[{{ case.number }}] SLA breached: {{ sla.target }} (due {{ sla.due_at }})"),
)
