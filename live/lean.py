"""What the channel layer does not need is not loaded.

channels_redis imports `cryptography.fernet` when its serializers module is imported, for the
optional `symmetric_encryption_keys` of a layer; importing it loads cryptography's Rust
bindings, 6.3 MiB resident in every process that publishes a live event (each web worker
after its first write, each Celery worker, the socket server). No layer of ours encrypts
(its messages are ids and kinds; the Redis is ours), so unless one is configured to, the
module is marked missing (`sys.modules[name] = None`, Python's own "not importable" entry)
before channels_redis is imported, and channels_redis takes its "cryptography not installed"
path. Nothing else we run imports `cryptography.fernet` (anymail's signature checks use
cryptography's hazmat modules, which stay importable). Called from LiveConfig.ready()."""

from __future__ import annotations

import sys

from django.conf import settings

MODULE = "cryptography.fernet"


def skip_unused_layer_encryption() -> bool:
    """Mark cryptography.fernet missing unless a channel layer encrypts or it is loaded
    already; True when it was marked."""
    layers = getattr(settings, "CHANNEL_LAYERS", {}) or {}
    encrypts = any(
        (layer.get("CONFIG") or {}).get("symmetric_encryption_keys") for layer in layers.values()
    )
    if encrypts or MODULE in sys.modules:
        return False
    sys.modules[MODULE] = None  # type: ignore[assignment]
    return True
