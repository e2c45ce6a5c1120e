"""The templates Rapport knows: each name, the variables its context carries, a sample, and its defaults.

Workflows ask for a notification by template name with a context dict (rapport.notifications.requests); the
notifier adds `recipient`. A template may use exactly the variables its name declares: saving one that uses any
other is refused, so a tenant's template cannot reach for what its context never holds. The defaults apply to a
name and channel until the tenant saves its own.

Each name also declares the values it cannot do without (`required`): a request whose context lacks one is not
sent at all (rapport.notifications.notifier). Every other value is optional, and the defaults are written so
that what holds a missing value disappears (rapport.notifications.rendering): each optional value on its own
line, or in parentheses.

The kernel's templates are here (`KERNEL_TEMPLATES`); a context's own (a case's reply) are in its folder, each
made with `template_spec` and named in its manifest (`Context.notification_templates`); `templates()` has them
all. This module imports no context.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from functools import cache
from typing import Any, NamedTuple

from rapport.contexts import contexts, load


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


class Content(NamedTuple):
    """A template's parts: email has a subject, a text body and optionally an HTML one; SMS only text."""

    text: str
    subject: str | None = None
    html: str | None = None


@dataclass(frozen=True)
class TemplateSpec:
    name: str
    description: str
    variables: frozenset[str]
    required: frozenset[str]
    sample: dict[str, Any]
    defaults: dict[Channel, Content] = field(default_factory=dict)
    # Asks a customer to confirm a subscription (double opt-in): sent while it is pending, which is what the
    # channel's consent then is (rapport.notifications.notifier).
    confirms_subscription: bool = False


def template_spec(
    name: str,
    description: str,
    variables: tuple[str, ...],
    required: tuple[str, ...],
    sample: dict[str, Any],
    email: Content,
    sms: Content,
    *,
    confirms_subscription: bool = False,
) -> TemplateSpec:
    """A template with its email and SMS defaults; its variables and sample also hold what the notifier adds."""
    sample = {"recipient": {"name": "Ada Lovelace", "first_name": "Ada"}, **sample}
    return TemplateSpec(
        name,
        description,
        frozenset(RECIPIENT + variables),
        frozenset(required),
        sample,
        {Channel.EMAIL: email, Channel.SMS: sms},
        confirms_subscription,
    )


# The daily digest lists a rep's top items one per line: `digest.deal1` to `digest.deal5`, `digest.task1` to
# `digest.task5` (the template language has no loops; a line whose item is absent disappears).
DIGEST_TOP_ITEMS = 5
_DIGEST_DEAL = ("name", "stage", "amount", "days_idle", "link")
_DIGEST_TASK = ("title", "due_at", "link")
_DIGEST = (
    "digest.date",
    "digest.summary",
    "digest.rotting_deals",
    "digest.overdue_tasks",
    *(f"digest.deal{n}.{name}" for n in range(1, DIGEST_TOP_ITEMS + 1) for name in _DIGEST_DEAL),
    *(f"digest.task{n}.{name}" for n in range(1, DIGEST_TOP_ITEMS + 1) for name in _DIGEST_TASK),
)


def _digest_lines(line: str) -> str:
    """`line` once per top item: `{n}` numbers it."""
    return "".join(line.replace("{n}", str(n)) for n in range(1, DIGEST_TOP_ITEMS + 1))


_DIGEST_DEAL_LINE = (
    "{{ digest.deal{n}.name }} ({{ digest.deal{n}.stage }}) ({{ digest.deal{n}.amount }}) "
    "(idle {{ digest.deal{n}.days_idle }} days)"
)
_DIGEST_TASK_LINE = "{{ digest.task{n}.title }} (due {{ digest.task{n}.due_at }})"


# The confirmation of a subscription (double opt-in: rapport.double_opt_in): the notifier itself knows it, since
# it goes to an address whose consent is pending, which nothing else may.
CONSENT_CONFIRMATION = template_spec(
    "consent_confirmation",
    "To a customer: confirm the email subscription they asked for (double opt-in). Sent while it is pending; "
    "nothing marketing reaches them until they press the link's button.",
    ("confirmation.url", "confirmation.expires_at"),
    ("confirmation.url",),
    {
        "confirmation": {
            "url": "https://crm.example.com/public/preferences/eyJwIjoiYyJ9.c2lnbmF0dXJl",
            "expires_at": "2026-11-30T09:00:00Z",
        }
    },
    Content(
        subject="Please confirm your subscription",
        text="Hello {{ recipient.first_name }},\n\nTo receive our emails, confirm your subscription at "
        "{{ confirmation.url }}\n\n(The link works until {{ confirmation.expires_at }}.)\n"
        "If you did not ask for this, ignore this email: nothing will be sent to you.\n",
        html="<p>Hello {{ recipient.first_name }},</p>\n"
        '<p>Please <a href="{{ confirmation.url }}">confirm that you want to receive our emails</a>.</p>\n'
        "<p>(The link works until {{ confirmation.expires_at }}.)</p>\n"
        "<p>If you did not ask for this, ignore this email: nothing will be sent to you.</p>",
    ),
    Content(text="Confirm your subscription: {{ confirmation.url }}"),
    confirms_subscription=True,
)

KERNEL_TEMPLATES = (
    CONSENT_CONFIRMATION,
    template_spec(
        "lead_assigned",
        "To a staff user: a lead is now theirs.",
        (*_LEAD, "assigned_by.name", "link"),
        ("lead.name", "link"),
        {"lead": _SAMPLE_LEAD, "assigned_by": {"name": "Round robin"}, "link": "https://crm.example.com/leads/1"},
        Content(
            subject="New lead: {{ lead.name }} ({{ lead.company }})",
            text="Hi {{ recipient.first_name }},\n\n{{ lead.name }} is now your lead.\n"
            "Company: {{ lead.company }}\nScore: {{ lead.score }}\nSource: {{ lead.source }}\n"
            "Email: {{ lead.email }}\nPhone: {{ lead.phone }}\n\n{{ link }}\n",
            html="<p>Hi {{ recipient.first_name }},</p>\n"
            "<p><strong>{{ lead.name }}</strong> is now your lead.</p>\n"
            "<div>Company: {{ lead.company }}</div>\n<div>Score: {{ lead.score }}</div>\n"
            "<div>Source: {{ lead.source }}</div>\n"
            "<div>Email: {{ lead.email }}</div>\n<div>Phone: {{ lead.phone }}</div>\n"
            '<p><a href="{{ link }}">Open the lead</a></p>',
        ),
        Content(text="Rapport: new lead {{ lead.name }} ({{ lead.company }}) (score {{ lead.score }}). {{ link }}"),
    ),
    template_spec(
        "lead_reassigned",
        "To a staff user: a lead moved to them from someone else.",
        (*_LEAD, "previous_owner.name", "reason", "link"),
        ("lead.name", "link"),
        {
            "lead": _SAMPLE_LEAD,
            "previous_owner": {"name": "Grace Hopper"},
            "reason": "SLA missed",
            "link": "https://crm.example.com/leads/1",
        },
        Content(
            subject="Lead reassigned to you: {{ lead.name }}",
            text="Hi {{ recipient.first_name }},\n\n{{ lead.name }} ({{ lead.company }}) is now your lead.\n"
            "Previous owner: {{ previous_owner.name }}\nWhy: {{ reason }}\n\n{{ link }}\n",
            html="<p>Hi {{ recipient.first_name }},</p>\n<p><strong>{{ lead.name }}</strong> "
            "({{ lead.company }}) is now your lead.</p>\n"
            "<div>Previous owner: {{ previous_owner.name }}</div>\n<div>Why: {{ reason }}</div>\n"
            '<p><a href="{{ link }}">Open the lead</a></p>',
        ),
        Content(text="Rapport: lead {{ lead.name }} is now yours (from {{ previous_owner.name }}). {{ link }}"),
    ),
    template_spec(
        "lead_sla_missed",
        "To a manager: a lead was not contacted within its SLA.",
        (*_LEAD, "owner.name", "sla.due_at", "link"),
        ("lead.name", "sla.due_at", "link"),
        {
            "lead": _SAMPLE_LEAD,
            "owner": {"name": "Grace Hopper"},
            "sla": {"due_at": "2026-11-23T10:00:00Z"},
            "link": "https://crm.example.com/leads/1",
        },
        Content(
            subject="SLA missed: {{ lead.name }} ({{ owner.name }})",
            text="Hi {{ recipient.first_name }},\n\n{{ lead.name }} ({{ lead.company }}) was not contacted by "
            "{{ sla.due_at }}.\nOwner: {{ owner.name }}\n\n{{ link }}\n",
            html="<p>Hi {{ recipient.first_name }},</p>\n<p><strong>{{ lead.name }}</strong> ({{ lead.company }}) "
            "was not contacted by {{ sla.due_at }}.</p>\n<p>Owner: {{ owner.name }}</p>\n"
            '<p><a href="{{ link }}">Open the lead</a></p>',
        ),
        Content(text="Rapport: SLA missed on {{ lead.name }} ({{ owner.name }}), due {{ sla.due_at }}. {{ link }}"),
    ),
    template_spec(
        "task_reminder",
        "To a staff user: a task is due.",
        (*_TASK, "link"),
        ("task.title", "link"),
        {"task": _SAMPLE_TASK, "link": "https://crm.example.com/tasks/1"},
        Content(
            subject="Reminder: {{ task.title }}",
            text='Hi {{ recipient.first_name }},\n\nA reminder of "{{ task.title }}" ({{ task.priority }} '
            "priority).\nDue: {{ task.due_at }}\n\n{{ link }}\n",
            html="<p>Hi {{ recipient.first_name }},</p>\n<p>A reminder of &ldquo;{{ task.title }}&rdquo; "
            "({{ task.priority }} priority).</p>\n<p>Due: {{ task.due_at }}</p>\n"
            '<p><a href="{{ link }}">Open the task</a></p>',
        ),
        Content(text="Rapport reminder: {{ task.title }} (due {{ task.due_at }}). {{ link }}"),
    ),
    template_spec(
        "appointment_reminder",
        "To a staff user or a customer: an appointment is coming up.",
        _APPOINTMENT,
        ("appointment.title", "appointment.starts_at"),
        {"appointment": _SAMPLE_APPOINTMENT},
        Content(
            subject="Reminder: {{ appointment.title }}, {{ appointment.starts_at }}",
            text='Hello {{ recipient.first_name }},\n\nThis is a reminder of "{{ appointment.title }}".\n'
            "Starts: {{ appointment.starts_at }}\nEnds: {{ appointment.ends_at }}\n"
            "Where: {{ appointment.location }}\n",
            html="<p>Hello {{ recipient.first_name }},</p>\n<p>This is a reminder of "
            "<strong>{{ appointment.title }}</strong>.</p>\n<div>Starts: {{ appointment.starts_at }}</div>\n"
            "<div>Ends: {{ appointment.ends_at }}</div>\n<div>Where: {{ appointment.location }}</div>",
        ),
        Content(text="Reminder: {{ appointment.title }}, {{ appointment.starts_at }} ({{ appointment.location }})."),
    ),
    template_spec(
        "daily_digest",
        "To a staff user: their top rotting deals and most overdue tasks today.",
        (*_DIGEST, "link"),
        ("digest.date", "digest.summary", "link"),
        {
            "digest": {
                "date": "2026-11-23",
                "summary": "2 rotting deals, 1 overdue task",
                "rotting_deals": 2,
                "overdue_tasks": 1,
                "deal1": {
                    "name": "Tyrell renewal",
                    "stage": "Proposal",
                    "amount": "12000 EUR",
                    "days_idle": 21,
                    "link": "https://crm.example.com/deals/1",
                },
                "deal2": {
                    "name": "Wallace pilot",
                    "stage": "Qualified",
                    "amount": "3500 USD",
                    "days_idle": 15,
                    "link": "https://crm.example.com/deals/2",
                },
                "task1": {
                    "title": "Send the quote",
                    "due_at": "2026-11-20T09:00:00Z",
                    "link": "https://crm.example.com/tasks/1",
                },
            },
            "link": "https://crm.example.com/",
        },
        Content(
            subject="Your day, {{ digest.date }}: {{ digest.summary }}",
            text="Hi {{ recipient.first_name }},\n\n"
            "Rotting deals ({{ digest.rotting_deals }}), stalest first\n"
            + _digest_lines(f"- {_DIGEST_DEAL_LINE}\n  {{{{ digest.deal{{n}}.link }}}}\n")
            + "\nOverdue tasks ({{ digest.overdue_tasks }}), most overdue first\n"
            + _digest_lines(f"- {_DIGEST_TASK_LINE}\n  {{{{ digest.task{{n}}.link }}}}\n")
            + "\n{{ link }}\n",
            html="<p>Hi {{ recipient.first_name }},</p>\n"
            "<p>Rotting deals ({{ digest.rotting_deals }}), stalest first</p>\n<ul>\n"
            + _digest_lines(f'<li><a href="{{{{ digest.deal{{n}}.link }}}}">{_DIGEST_DEAL_LINE}</a></li>\n')
            + "</ul>\n<p>Overdue tasks ({{ digest.overdue_tasks }}), most overdue first</p>\n<ul>\n"
            + _digest_lines(f'<li><a href="{{{{ digest.task{{n}}.link }}}}">{_DIGEST_TASK_LINE}</a></li>\n')
            + '</ul>\n<p><a href="{{ link }}">Open Rapport</a></p>',
        ),
        Content(text="Rapport {{ digest.date }}: {{ digest.summary }}. {{ link }}"),
    ),
    template_spec(
        "first_contact_task",
        "To a staff user: make first contact with a new lead.",
        (*_LEAD, *_TASK, "link"),
        ("lead.name", "task.due_at", "link"),
        {"lead": _SAMPLE_LEAD, "task": _SAMPLE_TASK, "link": "https://crm.example.com/tasks/1"},
        Content(
            subject="First contact: {{ lead.name }} by {{ task.due_at }}",
            text="Hi {{ recipient.first_name }},\n\nPlease contact {{ lead.name }} ({{ lead.company }}) by "
            "{{ task.due_at }}.\nEmail: {{ lead.email }}\nPhone: {{ lead.phone }}\n\n{{ link }}\n",
            html="<p>Hi {{ recipient.first_name }},</p>\n<p>Please contact <strong>{{ lead.name }}</strong> "
            "({{ lead.company }}) by {{ task.due_at }}.</p>\n<div>Email: {{ lead.email }}</div>\n"
            "<div>Phone: {{ lead.phone }}</div>\n"
            '<p><a href="{{ link }}">Open the task</a></p>',
        ),
        Content(text="Rapport: contact {{ lead.name }} ({{ lead.phone }}) by {{ task.due_at }}. {{ link }}"),
    ),
)


@cache
def templates() -> Mapping[str, TemplateSpec]:
    """Every template by name: the kernel's, then those the contexts declare (`Context.notification_templates`)."""
    declared = (load(reference) for context in contexts() for reference in context.notification_templates)
    return {spec.name: spec for spec in (*KERNEL_TEMPLATES, *declared)}
