from django.apps import AppConfig


class SuccessConfig(AppConfig):
    name = "success"
    # The label of the tables and migrations since the app was called followups: kept, so no
    # table is renamed and no migration rewritten.
    label = "followups"
    verbose_name = "Customer success: deliveries, follow-ups, surveys, customer health"
