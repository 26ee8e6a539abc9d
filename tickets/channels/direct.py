"""The kinds with no door of their own: tickets written directly through a service.

`web` is the customer portal and help center (portal.services); `api` is a ticket an
integration opens through POST /tickets/ without naming another channel. Neither carries a
reply back (the outbox routes those to the customer's best reachable identity), and no
customer picks `api`, so every tier serves it (slas.hybrid.tier_serves).
"""

from __future__ import annotations

from django.utils.translation import pgettext_lazy

from ..choices import ChannelKind
from .registry import ChannelAdapter

WEB = ChannelAdapter(
    kind=ChannelKind.WEB,
    label=pgettext_lazy("channel in a sentence", "Web"),
    icon="web",
    reply_transport=None,
)

API = ChannelAdapter(
    kind=ChannelKind.API,
    label=pgettext_lazy("channel in a sentence", "API"),
    icon="api",
    reply_transport=None,
    served_by_every_tier=True,
)
