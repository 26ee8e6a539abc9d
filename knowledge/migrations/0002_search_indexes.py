"""PostgreSQL only: the unaccent and pg_trgm extensions and the search indexes (GIN indexes
on each translation's search vector and title+tags vector, a trigram GIN index on the search
lexicon). fastupdate is off: articles are written rarely and read often, and a GIN pending
list (the default) is scanned by every search until a vacuum merges it. On SQLite the search falls back to substring matching (knowledge/search.py) and
this migration does nothing."""

from django.db import migrations

FORWARD = [
    "CREATE EXTENSION IF NOT EXISTS unaccent",
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    "CREATE INDEX IF NOT EXISTS article_search_vector_idx"
    " ON knowledge_articletranslation USING gin (search_vector) WITH (fastupdate = off)",
    "CREATE INDEX IF NOT EXISTS article_title_vector_idx"
    " ON knowledge_articletranslation USING gin (title_vector) WITH (fastupdate = off)",
    "CREATE INDEX IF NOT EXISTS search_term_trgm_idx"
    " ON knowledge_searchterm USING gin (lexeme gin_trgm_ops) WITH (fastupdate = off)",
]
BACKWARD = [
    "DROP INDEX IF EXISTS search_term_trgm_idx",
    "DROP INDEX IF EXISTS article_search_vector_idx",
    "DROP INDEX IF EXISTS article_title_vector_idx",
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
    dependencies = [("knowledge", "0001_initial")]

    operations = [migrations.RunPython(forward, backward)]
