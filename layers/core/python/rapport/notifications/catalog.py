"""The templates Rapport knows: each name, the variables its context carries, a sample, and its defaults.

Workflows ask for a notification by template name with a context dict (rapport.notifications.requests); the
notifier adds `recipient`. A template may use exactly the variables its name declares: saving one that uses any
other is refused, so a tenant's template cannot reach for what its context never holds. The defaults apply to a
name and channel until the tenant saves its own.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


class Channel(StrEnum):
    EMAIL = "email"
    SMS = "sms"


SMS_MAX_LENGTH = 1600  # SNS splits longer texts into at most ten parts; beyond that they are refused
SUBJECT_MAX_LENGTH = 200
EMAIL_TEXT_MAX_LENGTH = 20_000
EMAIL_HTML_MAX_LENGTH = 100_000

# What the notifier puts in every context: who the message is for.
RECIPIENT = ("recipient.name", "recipient.first_name")
_LEAD = ("lead.id", "lead.name", "lead.company", "lead.email", "lead.phone", "lead.score", "lead.source")
_TASK = ("task.id", "task.title", "task.due_at", "task.priority")
_APPOINTMENT = (
    "appointment.id",
    "appointment.title",
    "appointment.starts_at",
    "appointment.ends_at",
    "appointment.location",
)
_SAMPLE_LEAD = {
    "id": "01JLEAD000000000000000000",
    "name": "Rachael Rosen",
    "company": "Tyrell Corporation",
    "email": "rachael@tyrell.example",
    "phone": "+14155550199",
    "score": 72,
    "source": "web_form",
}
_SAMPLE_TASK = {
    "id": "01JTASK000000000000000000",
    "title": "Call back about the quote",
    "due_at": "2026-11-23T09:00:00Z",
    "priority": "high",
}
_SAMPLE_APPOINTMENT = {
    "id": "01JAPPT000000000000000000",
    "title": "Product demo",
    "starts_at": "2026-11-23T14:00:00Z",
    "ends_at": "2026-11-23T14:30:00Z",
    "location": "Video call",
}


@dataclass(frozen=True)
class Content:
    """A template's parts: email has a subject, a text body and optionally an HTML one; SMS only text."""

    text: str
    subject: str | None = None
    html: str | None = None


@dataclass(frozen=True)
class TemplateSpec:
    name: str
    description: str
    variables: frozenset[str]
    sample: dict[str, Any]
    defaults: dict[Channel, Content] = field(default_factory=dict)


def _spec(
    name: str,
    description: str,
    variables: tuple[str, ...],
    sample: dict[str, Any],
    email: Content,
    sms: Content,
) -> TemplateSpec:
    sample = {"recipient": {"name": "Ada Lovelace", "first_name": "Ada"}, **sample}
    return TemplateSpec(
        name, description, frozenset(RECIPIENT + variables), sample, {Channel.EMAIL: email, Channel.SMS: sms}
    )


TEMPLATES: dict[str, TemplateSpec] = {
    spec.name: spec
    for spec in (
        _spec(
            "lead_assigned",
            "To a staff user: a lead is now theirs.",
            (*_LEAD, "assigned_by.name", "link"),
            {"lead": _SAMPLE_LEAD, "assigned_by": {"name": "Round robin"}, "link": "https://crm.example.com/leads/1"},
            Content(
                subject="New lead: {{ lead.name }} ({{ lead.company }})",
                text="Hi {{ recipient.first_name }},\n\n{{ lead.name }} of {{ lead.company }} is now your lead "
                "(score {{ lead.score }}, from {{ lead.source }}).\nEmail: {{ lead.email }}\nPhone: {{ lead.phone }}"
                "\n\n{{ link }}\n",
                html="<p>Hi {{ recipient.first_name }},</p><p><strong>{{ lead.name }}</strong> of {{ lead.company }} "
                "is now your lead (score {{ lead.score }}, from {{ lead.source }}).</p><p>Email: {{ lead.email }}"
                '<br>Phone: {{ lead.phone }}</p><p><a href="{{ link }}">Open the lead</a></p>',
            ),
            Content(text="Rapport: new lead {{ lead.name }} ({{ lead.company }}), score {{ lead.score }}. {{ link }}"),
        ),
        _spec(
            "lead_reassigned",
            "To a staff user: a lead moved to them from someone else.",
            (*_LEAD, "previous_owner.name", "reason", "link"),
            {
                "lead": _SAMPLE_LEAD,
                "previous_owner": {"name": "Grace Hopper"},
                "reason": "SLA missed",
                "link": "https://crm.example.com/leads/1",
            },
            Content(
                subject="Lead reassigned to you: {{ lead.name }}",
                text="Hi {{ recipient.first_name }},\n\n{{ lead.name }} of {{ lead.company }} moved to you from "
                "{{ previous_owner.name }} ({{ reason }}).\n\n{{ link }}\n",
                html="<p>Hi {{ recipient.first_name }},</p><p><strong>{{ lead.name }}</strong> of "
                "{{ lead.company }} moved to you from {{ previous_owner.name }} ({{ reason }}).</p>"
                '<p><a href="{{ link }}">Open the lead</a></p>',
            ),
            Content(text="Rapport: lead {{ lead.name }} is now yours (from {{ previous_owner.name }}). {{ link }}"),
        ),
        _spec(
            "lead_sla_missed",
            "To a manager: a lead was not contacted within its SLA.",
            (*_LEAD, "owner.name", "sla.due_at", "link"),
            {
                "lead": _SAMPLE_LEAD,
                "owner": {"name": "Grace Hopper"},
                "sla": {"due_at": "2026-11-23T10:00:00Z"},
                "link": "https://crm.example.com/leads/1",
            },
            Content(
                subject="SLA missed: {{ lead.name }} ({{ owner.name }})",
                text="Hi {{ recipient.first_name }},\n\n{{ owner.name }} has not contacted {{ lead.name }} of "
                "{{ lead.company }}, due by {{ sla.due_at }}.\n\n{{ link }}\n",
                html="<p>Hi {{ recipient.first_name }},</p><p>{{ owner.name }} has not contacted "
                "<strong>{{ lead.name }}</strong> of {{ lead.company }}, due by {{ sla.due_at }}.</p>"
                '<p><a href="{{ link }}">Open the lead</a></p>',
            ),
            Content(text="Rapport: SLA missed on {{ lead.name }} ({{ owner.name }}), due {{ sla.due_at }}. {{ link }}"),
        ),
        _spec(
            "task_reminder",
            "To a staff user: a task is due.",
            (*_TASK, "link"),
            {"task": _SAMPLE_TASK, "link": "https://crm.example.com/tasks/1"},
            Content(
                subject="Reminder: {{ task.title }}",
                text='Hi {{ recipient.first_name }},\n\n"{{ task.title }}" ({{ task.priority }} priority) is due '
                "{{ task.due_at }}.\n\n{{ link }}\n",
                html="<p>Hi {{ recipient.first_name }},</p><p>&ldquo;{{ task.title }}&rdquo; ({{ task.priority }} "
                'priority) is due {{ task.due_at }}.</p><p><a href="{{ link }}">Open the task</a></p>',
            ),
            Content(text="Rapport reminder: {{ task.title }} due {{ task.due_at }}. {{ link }}"),
        ),
        _spec(
            "appointment_reminder",
            "To a staff user or a customer: an appointment is coming up.",
            _APPOINTMENT,
            {"appointment": _SAMPLE_APPOINTMENT},
            Content(
                subject="Reminder: {{ appointment.title }} at {{ appointment.starts_at }}",
                text='Hello {{ recipient.first_name }},\n\nThis is a reminder of "{{ appointment.title }}", '
                "{{ appointment.starts_at }} to {{ appointment.ends_at }} ({{ appointment.location }}).\n",
                html="<p>Hello {{ recipient.first_name }},</p><p>This is a reminder of "
                "<strong>{{ appointment.title }}</strong>, {{ appointment.starts_at }} to {{ appointment.ends_at }} "
                "({{ appointment.location }}).</p>",
            ),
            Content(
                text="Reminder: {{ appointment.title }} at {{ appointment.starts_at }} ({{ appointment.location }})."
            ),
        ),
        _spec(
            "daily_digest",
            "To a staff user: what needs them today.",
            ("digest.date", "digest.summary", "digest.rotting_deals", "digest.overdue_tasks", "link"),
            {
                "digest": {
                    "date": "2026-11-23",
                    "summary": "2 rotting deals, 3 overdue tasks",
                    "rotting_deals": 2,
                    "overdue_tasks": 3,
                },
                "link": "https://crm.example.com/",
            },
            Content(
                subject="Your day, {{ digest.date }}: {{ digest.summary }}",
                text="Hi {{ recipient.first_name }},\n\nRotting deals: {{ digest.rotting_deals }}\nOverdue tasks: "
                "{{ digest.overdue_tasks }}\n\n{{ link }}\n",
                html="<p>Hi {{ recipient.first_name }},</p><ul><li>Rotting deals: {{ digest.rotting_deals }}</li>"
                '<li>Overdue tasks: {{ digest.overdue_tasks }}</li></ul><p><a href="{{ link }}">Open Rapport</a></p>',
            ),
            Content(text="Rapport {{ digest.date }}: {{ digest.summary }}"),
        ),
        _spec(
            "first_contact_task",
            "To a staff user: make first contact with a new lead.",
            (*_LEAD, *_TASK, "link"),
            {"lead": _SAMPLE_LEAD, "task": _SAMPLE_TASK, "link": "https://crm.example.com/tasks/1"},
            Content(
                subject="First contact: {{ lead.name }} by {{ task.due_at }}",
                text="Hi {{ recipient.first_name }},\n\nPlease contact {{ lead.name }} of {{ lead.company }} by "
                "{{ task.due_at }}.\nEmail: {{ lead.email }}\nPhone: {{ lead.phone }}\n\n{{ link }}\n",
                html="<p>Hi {{ recipient.first_name }},</p><p>Please contact <strong>{{ lead.name }}</strong> of "
                "{{ lead.company }} by {{ task.due_at }}.</p><p>Email: {{ lead.email }}<br>Phone: "
                '{{ lead.phone }}</p><p><a href="{{ link }}">Open the task</a></p>',
            ),
            Content(text="Rapport: contact {{ lead.name }} ({{ lead.phone }}) by {{ task.due_at }}. {{ link }}"),
        ),
    )
}
