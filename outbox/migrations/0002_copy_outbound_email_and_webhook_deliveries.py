"""Reply emails (tickets.OutboundEmail) and webhook deliveries (webhooks.WebhookDelivery)
become outbox rows, states mapped (pending -> queued, sent/delivered -> sent, failed ->
failed). A pending reply email gets its envelope built here (text, html, the Message-ID it was
given; attachments are not carried over), so the outbox sends it like any other."""

from email.utils import formataddr

from django.db import migrations

EMAIL_STATES = {"pending": "queued", "sent": "sent", "failed": "failed"}
WEBHOOK_STATES = {"pending": "queued", "delivered": "sent", "failed": "failed"}


def _recipient(Identity, customer_id):
    for identity in Identity.objects.filter(customer_id=customer_id, kind="email").order_by("id"):
        if identity.undeliverable_at is None:
            return identity.value
    return ""


def _email_payload(row):
    message, ticket, channel = row.message, row.message.ticket, row.channel
    sender = "support@helpdesk.localhost"
    if channel is not None and channel.address:
        sender = formataddr((channel.settings.get("from_name", ""), channel.address))
    subject = ticket.subject if ticket.subject.lower().startswith("re:") else f"Re: {ticket.subject}"
    headers = {"Message-ID": f"<{row.header_message_id}>"}
    if message.author_user_id is None:
        headers["Auto-Submitted"] = "auto-replied"
    return {
        "from": sender,
        "subject": f"{subject} [#{ticket.pk}]",
        "body": message.body_text,
        "html": message.body_html,
        "headers": headers,
        "attachments": [],
    }


def copy_rows(apps, schema_editor):
    OutboxMessage = apps.get_model("outbox", "OutboxMessage")
    OutboundEmail = apps.get_model("tickets", "OutboundEmail")
    WebhookDelivery = apps.get_model("webhooks", "WebhookDelivery")
    Identity = apps.get_model("customers", "CustomerIdentity")
    for row in OutboundEmail.objects.select_related("message__ticket", "channel").iterator():
        pending = row.state == "pending"
        OutboxMessage.objects.create(
            transport="email",
            purpose="reply" if row.message.author_user_id else "automatic",
            channel="email",
            recipient=_recipient(Identity, row.message.ticket.requester_id),
            payload=_email_payload(row) if pending else {},
            state=EMAIL_STATES[row.state],
            attempts=row.attempts,
            next_attempt_at=row.created_at if pending else None,
            error=row.error,
            provider_id=row.header_message_id,
            message_id=row.message_id,
            sent_at=row.sent_at,
        )
    for row in WebhookDelivery.objects.iterator():
        OutboxMessage.objects.create(
            transport="webhook",
            purpose="webhook",
            recipient=row.url,
            payload={"url": row.url, "secret": row.secret, "event": row.event, "body": row.payload},
            state=WEBHOOK_STATES[row.state],
            attempts=row.attempts,
            next_attempt_at=row.next_attempt_at if row.state == "pending" else None,
            error=row.error,
            last_status=row.last_status,
            source=(
                f"subscription:{row.subscription_id}" if row.subscription_id else row.source
            )[:80],
            sent_at=row.delivered_at,
        )


class Migration(migrations.Migration):
    dependencies = [
        ("outbox", "0001_outbox"),
        ("tickets", "0004_inbound_state_no_processing"),
        ("webhooks", "0003_error_field_one_name"),
        ("customers", "0007_policy_choices_current"),
    ]

    operations = [migrations.RunPython(copy_rows, migrations.RunPython.noop)]
