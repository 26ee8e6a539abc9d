"""The frame's words (translated with the app's own catalogues, widget/locale/) and its
language: the site's `data-lang` (or the visitor's browser) when we speak it, else English."""

from __future__ import annotations

from django.conf import settings
from django.utils.translation import gettext as _

RTL_LANGUAGES = frozenset({"fa", "ar", "he", "ur"})


def widget_language(code: str) -> str:
    code = (code or "").split(",")[0].split("-")[0].strip().lower()
    return code if code in {c for c, _name in settings.LANGUAGES} else "en"


def direction(code: str) -> str:
    return "rtl" if code in RTL_LANGUAGES else "ltr"


def frame_strings() -> dict[str, str]:
    """Every text the frame's script shows, in the active language."""
    return {
        "title": _("Chat with us"),
        "close": _("Close the chat"),
        "online": _("We are online"),
        "offline": _(
            "No agent is available right now. Leave a message and your email: we answer by email."
        ),
        "name": _("Your name"),
        "email": _("Your email"),
        "start": _("Start the chat"),
        "message": _("Message"),
        "send": _("Send"),
        "attach": _("Send a file"),
        "typing": _("Support is typing…"),
        "you": _("You"),
        "agent": _("Support"),
        "suggested": _("These articles may answer your question:"),
        "transcript": _("Email me the transcript"),
        "transcript_sent": _("The transcript is on its way to %(email)s."),
        "error": _("That did not work. Try again."),
        "reconnecting": _("Reconnecting…"),
        "required": _("required"),
        "optional": _("optional"),
        "conversation": _("Conversation"),
    }
