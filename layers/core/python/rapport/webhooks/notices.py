"""What the webhooks send: a webhook disabled by its failures, to the admins who set it up
(rapport.webhooks.delivery)."""

from __future__ import annotations

from rapport.notifications.catalog import Content, template_spec

WEBHOOK_DISABLED = template_spec(
    "webhook_disabled",
    "To the admins who created and last changed a webhook: Rapport disabled it (its endpoint answered 410 Gone, "
    "or every delivery failed for a day).",
    ("webhook.id", "webhook.url", "webhook.reason", "link"),
    ("webhook.id", "webhook.url", "webhook.reason", "link"),
    {
        "webhook": {
            "id": "01JWEBHOOK0000000000000000",
            "url": "https://hooks.example.com/rapport",
            "reason": "every delivery failed for a day (last: 503)",
        },
        "link": "https://crm.example.com/webhooks/01JWEBHOOK0000000000000000",
    },
    Content(
        subject="Webhook disabled: {{ webhook.url }}",
        text="Hello {{ recipient.first_name }},\n\nRapport disabled the webhook to {{ webhook.url }}: "
        "{{ webhook.reason }}.\nIts failed deliveries are kept: fix the endpoint, enable the webhook again and "
        "redeliver them.\n\n{{ link }}\n",
    ),
    Content(text="Rapport disabled the webhook to {{ webhook.url }}: {{ webhook.reason }}."),
)
