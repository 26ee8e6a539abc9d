"""The channel adapter registry: what the rest of the system knows about a channel kind.

One adapter per kind (healthchecks' TRANSPORTS is the model): intake, configuration, the API
doors, outbound routing and the desk ask the registry instead of testing `kind == ...`.
Adding a channel is an adapter module (listed in tickets/apps.py CHANNEL_ADAPTERS), a
ChannelKind value and a migration for the enum (README: "Adding a channel").

An adapter declares:
- `label`, `icon`: how people see the kind (translated; the desk draws `icon`, a name from
  desk/icons.py, as an inline SVG);
- `capabilities`: what a reply on this kind can be, and whether it is live (see Capabilities);
- inbound: `payload_serializer` (validates a door's JSON; the door is inbound/<kind>/),
  `dedupe_key(data)` and `channel_for(data)` (which configured Channel a payload belongs to)
  on the validated data, and `process(inbound)` (raw row -> customer -> thread -> ticket or
  message, with threads.continue_or_open). Email's door takes raw bytes: its dedupe_key takes
  the bytes, its channel_for {"channel", "recipients"};
- configuration: `settings_allowed`, `settings_required`, `settings_clean(values, clean,
  errors)` for what the kind checks beyond allowed and required keys;
- outbound: `reply_transport`, the name of the outbox transport that carries a public reply
  on this kind ("email", "webhook", ...; None when the kind cannot carry replies, e.g. phone),
  and `reply_envelope(message, thread)`, the transport's payload for one reply (called with
  `template=` when the reply is a template message); `reply_templates(channel)`, the
  templates a channel offers (WhatsApp: the only thing sent outside its reply window);
- `public_contact(channel)`: how the help center shows a configured channel to customers;
- `provider`: for a kind that a platform posts in its own format (Telegram, WhatsApp, ...),
  the hooks of its webhook door /api/v1/hooks/<kind>/<channel id>/ (providers.ProviderHooks:
  verify the signature, parse the body into messages to store and delivery statuses);
- tiers: `served_by_every_tier` for a kind no customer picks (tickets an integration opens
  through the API): a tier's channel list never puts it outside the plan.

tickets/apps.py registers the adapters of CHANNEL_ADAPTERS at app ready.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any


@dataclass(frozen=True)
class Capabilities:
    """What a public reply on this kind can carry."""

    replies: bool = False  # can a public reply go back on this kind at all
    attachments: bool = False
    html: bool = False
    # A live conversation (chat, social): automatic answers wait until its thread exists and
    # a reply goes to the conversation, not to an address.
    conversation: bool = False
    # Replies are only allowed this long after the customer's last message (WhatsApp: 24 h).
    reply_window: timedelta | None = None
    # Synchronous: an agent holds a few at a time (routing's chat capacity counts these).
    live: bool = False


@dataclass(frozen=True)
class ChannelAdapter:
    kind: str
    label: str
    icon: str
    capabilities: Capabilities = field(default_factory=Capabilities)
    # Inbound (None for kinds without a door of their own, e.g. tickets created by the API).
    payload_serializer: type | None = None
    dedupe_key: Callable[[dict], str] | None = None
    channel_for: Callable[[dict], Any] | None = None
    process: Callable[[Any], Any] | None = None
    # Configuration.
    settings_allowed: frozenset[str] = frozenset()
    settings_required: frozenset[str] = frozenset()
    settings_clean: tuple[Callable[[dict, dict, dict], None], ...] = ()
    # Outbound.
    reply_transport: str | None = None
    reply_envelope: Callable[..., dict] | None = None
    # The message templates a channel offers where free text may not go (WhatsApp outside
    # its 24 h window): dicts with key, name, language, text; None: the kind has none.
    reply_templates: Callable[[Any], list[dict]] | None = None
    # Per channel, whether its replies can carry files (chat: our widget can, a third-party
    # provider's webhook cannot); None: capabilities.attachments for every channel.
    attachments_for: Callable[[Any], bool] | None = None
    # A provider's own webhook (tickets/channels/providers.py ProviderHooks), or None.
    provider: Any = None
    # Tiers.
    served_by_every_tier: bool = False
    # The help center's "Still need help?": what a customer is shown to reach a configured
    # channel of this kind, (text, href or ""), or None when it is not shown.
    public_contact: Callable[[Any], tuple[str, str] | None] | None = None


_ADAPTERS: dict[str, ChannelAdapter] = {}


def register(adapter: ChannelAdapter) -> ChannelAdapter:
    """Add (or replace, e.g. in a test) the adapter of `adapter.kind`."""
    _ADAPTERS[adapter.kind] = adapter
    return adapter


def unregister(kind: str) -> None:
    _ADAPTERS.pop(kind, None)


def adapter(kind: str) -> ChannelAdapter:
    """The adapter of `kind`; KeyError for a kind nobody registered."""
    return _ADAPTERS[kind]


def adapters() -> list[ChannelAdapter]:
    return list(_ADAPTERS.values())


def find(kind: str) -> ChannelAdapter | None:
    """The adapter of `kind`, or None (stored rows of a kind no longer registered)."""
    return _ADAPTERS.get(kind)


def kinds_where(test: Callable[[ChannelAdapter], bool]) -> list[str]:
    """The registered kinds whose adapter passes `test` (e.g. live conversations)."""
    return [a.kind for a in _ADAPTERS.values() if test(a)]
