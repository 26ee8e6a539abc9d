"""Reports read from a replica when DATABASE_REPLICA_URL is set.

Report queries name their database explicitly (`reports.db.report_database()`), because they
read other apps' models whose ordinary reads must stay on the primary (a request that just
wrote a ticket reads it back). This router adds the rest: the reports app's own rows are read
from the replica too, and nothing is ever migrated on the replica (it follows the primary).
"""

from __future__ import annotations

from django.conf import settings

REPLICA = "replica"


class ReportsReplicaRouter:
    def db_for_read(self, model, **hints):
        if model._meta.app_label == "reports" and REPLICA in settings.DATABASES:
            return REPLICA
        return None

    def db_for_write(self, model, **hints):
        return "default"

    def allow_relation(self, obj1, obj2, **hints):
        return True  # the replica holds the same rows as the primary

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        return db != REPLICA
