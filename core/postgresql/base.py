"""Django's PostgreSQL backend with a health check that costs no round trip when it can.

With persistent connections (`CONN_MAX_AGE`) and `CONN_HEALTH_CHECKS`, Django sends `SELECT 1`
before the first query of every request: one round trip, and the only one a write that needs
no row (the API's no-op POST) makes. A connection PostgreSQL closed (a restart, an idle
timeout, `pg_terminate_backend`) has a readable socket: the server's goodbye, or EOF. So an
idle connection whose socket has nothing to read is as healthy as `SELECT 1` would say; only
a socket with something on it pays the query, as before. (A peer that vanished without a
word is no better caught by `SELECT 1`, which waits on the same socket.)
"""

from __future__ import annotations

import select

from django.db.backends.postgresql import base
from psycopg import pq


def _quiet(connection) -> bool:
    """Open, idle (no transaction), and nothing waiting on its socket."""
    pgconn = connection.pgconn
    if pgconn.status != pq.ConnStatus.OK:
        return False
    if pgconn.transaction_status != pq.TransactionStatus.IDLE:
        return False
    poller = select.poll()
    poller.register(pgconn.socket, select.POLLIN | select.POLLPRI)
    return not poller.poll(0)


class DatabaseWrapper(base.DatabaseWrapper):
    def close_if_health_check_failed(self) -> None:
        if (
            self.connection is not None
            and self.health_check_enabled
            and not self.health_check_done
            and not self.pool
            and _quiet(self.connection)
        ):
            self.health_check_done = True
            return
        super().close_if_health_check_failed()
