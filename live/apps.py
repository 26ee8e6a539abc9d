from django.apps import AppConfig


class LiveConfig(AppConfig):
    name = "live"
    verbose_name = "Real time"

    def ready(self) -> None:
        from .lean import skip_unused_layer_encryption

        skip_unused_layer_encryption()
