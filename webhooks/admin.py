"""Subscriptions are managed through the API; their deliveries are outbox rows (outbox.admin)."""
