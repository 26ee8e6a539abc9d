"""REST plumbing shared by every app's api/: the error shape, pagination, filters,
throttling, idempotency, the write transaction, schema hooks, /me and /ping."""
