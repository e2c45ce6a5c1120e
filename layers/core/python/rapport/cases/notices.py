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
