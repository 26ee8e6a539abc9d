"""Webhook bodies shaped exactly as Meta documents them (WhatsApp Cloud API "messages"
webhook reference: incoming messages and statuses; Messenger Platform webhook events:
messages, message_echoes, message_deliveries, message_reads, messaging_postbacks; Instagram
messaging webhooks). Only the values are ours."""

from __future__ import annotations

WABA_ID = "102290129340398"
PHONE_NUMBER_ID = "106540352242922"
DISPLAY_NUMBER = "15550783881"
PAGE_ID = "1067280970047460"
IG_ID = "17841400008460056"


def whatsapp(value: dict) -> dict:
    return {
        "object": "whatsapp_business_account",
        "entry": [{"id": WABA_ID, "changes": [{"value": value, "field": "messages"}]}],
    }


def wa_messages(
    *messages: dict, wa_id: str = "37122345678", name: str = "Sheena Nelson", number_id=None
) -> dict:
    return whatsapp(
        {
            "messaging_product": "whatsapp",
            "metadata": {
                "display_phone_number": DISPLAY_NUMBER,
                "phone_number_id": number_id or PHONE_NUMBER_ID,
            },
            "contacts": [{"profile": {"name": name}, "wa_id": wa_id}],
            "messages": list(messages),
        }
    )


def wa_text(wamid: str, body: str, *, wa_id: str = "37122345678", timestamp: str = "") -> dict:
    return {
        "from": wa_id,
        "id": wamid,
        "timestamp": timestamp or "1749416383",
        "type": "text",
        "text": {"body": body},
    }


def wa_image(wamid: str, *, wa_id: str = "37122345678", timestamp: str = "1749416384") -> dict:
    return {
        "from": wa_id,
        "id": wamid,
        "timestamp": timestamp,
        "type": "image",
        "image": {
            "caption": "The broken hinge",
            "mime_type": "image/jpeg",
            "sha256": "1tx2mTyYExZW1vKaPz1WAdB5N3Avw7UYqlFXwtWB5AA=",
            "id": "1003383421387256",
        },
    }


def wa_button_reply(wamid: str, *, wa_id: str = "37122345678", timestamp: str = "") -> dict:
    return {
        "context": {
            "from": DISPLAY_NUMBER,
            "id": "wamid.HBgLMTY0NjcwNDM1OTUVAgARGBI1RjQyNUE3NEYxMzAzMzQ5MkEA",
        },
        "from": wa_id,
        "id": wamid,
        "timestamp": timestamp or "1749416385",
        "type": "interactive",
        "interactive": {
            "type": "button_reply",
            "button_reply": {"id": "cancel-order", "title": "Cancel my order"},
        },
    }


def wa_location(wamid: str, *, wa_id: str = "37122345678") -> dict:
    return {
        "from": wa_id,
        "id": wamid,
        "timestamp": "1749416386",
        "type": "location",
        "location": {
            "address": "Brīvības iela 1, Rīga",
            "latitude": 56.9496,
            "longitude": 24.1052,
            "name": "Freedom Monument",
        },
    }


def wa_status(
    wamid: str, status: str, *, errors: list | None = None, ts: str = "1750263773"
) -> dict:
    item = {
        "id": wamid,
        "status": status,
        "timestamp": ts,
        "recipient_id": "37122345678",
    }
    if status in ("sent", "delivered", "read"):
        item["pricing"] = {
            "billable": True,
            "pricing_model": "PMP",
            "type": "regular",
            "category": "utility",
        }
    if errors:
        item["errors"] = errors
    return whatsapp(
        {
            "messaging_product": "whatsapp",
            "metadata": {
                "display_phone_number": DISPLAY_NUMBER,
                "phone_number_id": PHONE_NUMBER_ID,
            },
            "statuses": [item],
        }
    )


REENGAGEMENT_ERROR = {
    "code": 131047,
    "title": "Re-engagement message",
    "message": "Re-engagement message",
    "error_data": {
        "details": "Message failed to send because more than 24 hours have passed since the "
        "customer last replied to this number."
    },
    "href": "https://developers.facebook.com/docs/whatsapp/cloud-api/support/error-codes/",
}


def messenger(events: list[dict], *, obj: str = "page", account: str = PAGE_ID) -> dict:
    return {"object": obj, "entry": [{"id": account, "time": 1458692752478, "messaging": events}]}


def ms_message(
    mid: str, text: str, *, psid: str = "6543210987654321", account: str = PAGE_ID, **extra
) -> dict:
    return {
        "sender": {"id": psid},
        "recipient": {"id": account},
        "timestamp": 1458692752478,
        "message": {"mid": mid, "text": text, **extra},
    }


def ms_echo(mid: str, text: str, *, psid: str = "6543210987654321") -> dict:
    return {
        "sender": {"id": PAGE_ID},
        "recipient": {"id": psid},
        "timestamp": 1458692752478,
        "message": {"is_echo": True, "app_id": 1517776481860111, "mid": mid, "text": text},
    }


def ms_delivery(mids: list[str], watermark: int, *, psid: str = "6543210987654321") -> dict:
    return {
        "sender": {"id": psid},
        "recipient": {"id": PAGE_ID},
        "delivery": {"mids": mids, "watermark": watermark},
    }


def ms_read(watermark: int, *, psid: str = "6543210987654321") -> dict:
    return {
        "sender": {"id": psid},
        "recipient": {"id": PAGE_ID},
        "timestamp": watermark + 5,
        "read": {"watermark": watermark},
    }


def ig_read(mid: str, *, igsid: str = "1234567890123456") -> dict:
    return {
        "sender": {"id": igsid},
        "recipient": {"id": IG_ID},
        "timestamp": 1527459824,
        "read": {"mid": mid},
    }
