"""What the retention workflow sends (rapport.orders.retention): the offer to a deserting customer, a marketing email
of the tenant's offers topic (so only with that consent, with the postal address and unsubscribe link the notifier
adds), and the notice to the owner's manager when the customer did not buy again."""

from __future__ import annotations

from rapport.notifications.catalog import Content, template_spec

RETENTION_OFFER = template_spec(
    "retention_offer",
    "To a deserting customer (a contact who opted in to the tenant's offers topic by email): an offer with the "
    "coupon code kept for them.",
    ("coupon.code", "customer.name"),
    ("coupon.code",),
    {"coupon": {"code": "BACK-7KQ2M9XW4T"}, "customer": {"name": "Ada Lovelace"}},
    Content(
        subject="We miss you: an offer for your next order",
        text="Hello {{ recipient.first_name }},\n\nThank you for buying from us. As a thank-you, your code for your "
        "next order is {{ coupon.code }}\n",
        html="<p>Hello {{ recipient.first_name }},</p>\n<p>Thank you for buying from us. As a thank-you, your code "
        "for your next order is <strong>{{ coupon.code }}</strong></p>",
    ),
    Content(text="Thank you for buying from us: your code for your next order is {{ coupon.code }}"),
)

RETENTION_ESCALATED = template_spec(
    "retention_escalated",
    "To the owner's manager: a deserting customer did not buy again within the retention wait; its retention task "
    "is now the manager's.",
    ("customer.name", "customer.id", "owner.id", "retention.since", "retention.reasons", "task.id"),
    ("customer.name", "retention.reasons"),
    {
        "customer": {"name": "Deserting Ltd", "id": "01JACC0000000000000000000"},
        "owner": {"id": "rep-1"},
        "retention": {
            "since": "2026-11-03T03:00:00Z",
            "reasons": "Bought 500.00 a month over the last 3 months, down 50.0 % from 1000.00 a month",
        },
        "task": {"id": "01JTASK000000000000000000"},
    },
    Content(
        subject="Deserting customer not won back: {{ customer.name }}",
        text="Hello {{ recipient.first_name }},\n\n{{ customer.name }} did not buy again after the retention offer, "
        "and the retention task is now yours.\n{{ retention.reasons }}\nDeserting since: {{ retention.since }}\n"
        "Owner: {{ owner.id }}\nTask: {{ task.id }}\nCustomer: {{ customer.id }}\n",
        html="<p>Hello {{ recipient.first_name }},</p>\n<p><strong>{{ customer.name }}</strong> did not buy again "
        "after the retention offer, and the retention task is now yours.</p>\n<p>{{ retention.reasons }}</p>\n"
        "<div>Deserting since: {{ retention.since }}</div>\n<div>Owner: {{ owner.id }}</div>\n"
        "<div>Task: {{ task.id }}</div>\n<div>Customer: {{ customer.id }}</div>",
    ),
    Content(text="Rapport: {{ customer.name }} was not won back; its retention task is now yours."),
)
