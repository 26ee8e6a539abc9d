from django.apps import AppConfig


class FollowupsConfig(AppConfig):
    name = "followups"
    verbose_name = "Proactive follow-ups"

    def ready(self) -> None:
        from . import handlers

        handlers.connect()
