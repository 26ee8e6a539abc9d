"""The desk's words for stored choices. The models' labels stay English (the API speaks
them: `priority=urgent`); the desk translates through these."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

STATUS = {
    "new": _("New"),
    "open": _("Open"),
    "pending": _("Pending"),
    "on_hold": _("On hold"),
    "solved": _("Solved"),
    "closed": _("Closed"),
}
PRIORITY = {
    1: pgettext_lazy("priority", "low"),
    2: pgettext_lazy("priority", "normal"),
    3: pgettext_lazy("priority", "high"),
    4: pgettext_lazy("priority", "urgent"),
}
CHANNEL = {
    "email": _("Email"),
    "chat": _("Live chat"),
    "phone": _("Phone"),
    "social": _("Social media"),
    "web": _("Web"),
    "api": _("API"),
    "telegram": "Telegram",
    "whatsapp": "WhatsApp",
    "messenger": "Messenger",
    "instagram": "Instagram",
    "sms": _("SMS"),
}
CLOCK_STATE = {
    "running": _("running"),
    "at_risk": _("at risk"),
    "breached": _("breached"),
    "paused": _("paused"),
    "fulfilled": _("fulfilled"),
}
METRIC = {
    "first_response": pgettext_lazy("metric", "First response"),
    "next_response": pgettext_lazy("metric", "Next response"),
    "resolution": pgettext_lazy("metric", "Resolution"),
    "periodic_update": pgettext_lazy("metric", "Periodic update"),
}
