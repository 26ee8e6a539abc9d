from django.apps import AppConfig
from django.db.models.signals import post_delete, post_save


class SlasConfig(AppConfig):
    name = "slas"
    verbose_name = "SLA tiers, policies and clocks"

    def ready(self) -> None:
        from . import handlers, models, selectors

        handlers.connect()
        # Policy versions are cached per process (selectors.policy_get): any change to what a
        # cached version reads clears the cache here at once (other processes: within
        # SLA_POLICY_CACHE_SECONDS).
        for model in (
            models.SlaPolicy,
            models.SlaTarget,
            models.BusinessCalendar,
            models.BusinessInterval,
            models.CalendarHoliday,
        ):
            post_save.connect(selectors.policy_cache_clear, sender=model, weak=False)
            post_delete.connect(selectors.policy_cache_clear, sender=model, weak=False)
