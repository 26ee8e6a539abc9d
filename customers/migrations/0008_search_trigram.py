"""PostgreSQL only: trigram indexes for the ticket search (tickets/search.py) on customers'
names and identity values (email, phone, handle), over the UPPER(...) that Django's
`icontains` compares, so a partial "kim@exa" is an index scan. Nothing on SQLite."""

from django.db import migrations

FORWARD = [
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    "CREATE INDEX IF NOT EXISTS customer_name_trgm_idx"
    " ON customers_customer USING gin ((UPPER(name::text)) gin_trgm_ops)",
    "CREATE INDEX IF NOT EXISTS identity_value_trgm_idx"
    " ON customers_customeridentity USING gin ((UPPER(value::text)) gin_trgm_ops)",
]
BACKWARD = [
    "DROP INDEX IF EXISTS identity_value_trgm_idx",
    "DROP INDEX IF EXISTS customer_name_trgm_idx",
]


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for statement in FORWARD:
            schema_editor.execute(statement)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for statement in BACKWARD:
            schema_editor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [("customers", "0007_policy_choices_current")]

    operations = [migrations.RunPython(forward, backward)]
