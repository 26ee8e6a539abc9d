"""PostgreSQL only: the `helpdesk` text-search configuration, the folding function, the
triggers that keep tickets_ticketsearch current and its GIN indexes; then every existing
ticket is indexed. On SQLite (`make run` without a server) search is a substring match
(tickets/search.py) and this migration does nothing.

Language choice: one configuration for every language a ticket may mix. `helpdesk` is a
copy of `russian`: words in Latin letters go through the English Snowball stemmer, words
with other letters through the Russian one (which leaves Latvian, Lithuanian and Persian
words as they are). Before parsing, `hd_search_fold` lower-cases and folds what customers
type both ways: Latvian/Lithuanian/Western diacritics (ā->a, š->s, ė->e...; so a folded
Baltic word is ASCII and gets English-stemmed, a crude but consistent suffix stripping),
ё->е, the Arabic forms of yeh and kaf to the Persian ones, and it removes zero-width
non-joiners, tatweel and Arabic short-vowel marks. It does not use unaccent(): unaccent
also turns й into и, which breaks Russian stems, and it is not IMMUTABLE.

The triggers recompute a ticket's document (subject A, tags B, public bodies C; internal
notes apart) whenever its subject, tags or messages change, from whatever writer (services,
admin, a merge that moves messages). Each first locks the ticket row, so two transactions
adding messages to one ticket write the document one after the other, the second seeing
the first's message. Bodies are indexed up to 200,000 characters per ticket.
"""

from django.db import migrations

FOLD_FROM = (
    "āčēģīķļņšūžąęėįųōŗáàâäãåéèêëíìîïóòôöõøúùûüýÿñçćłńśźżőűăşţřěďťůș" "ёيك"
    "\u200c\u0640\u064b\u064c\u064d\u064e\u064f\u0650\u0651\u0652"
)
FOLD_TO = "acegiklnsuzaeeiuoraaaaaaeeeeiiiioooooouuuuyyncclnszzouastredtus" "еیک"

FORWARD = [
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    "DROP TEXT SEARCH CONFIGURATION IF EXISTS helpdesk",
    "CREATE TEXT SEARCH CONFIGURATION helpdesk (COPY = pg_catalog.russian)",
    f"""
    CREATE OR REPLACE FUNCTION hd_search_fold(value text) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT
    AS $$ SELECT translate(lower(value), '{FOLD_FROM}', '{FOLD_TO}') $$
    """,
    """
    CREATE OR REPLACE FUNCTION hd_ticket_search_refresh(ticket bigint) RETURNS void
    LANGUAGE plpgsql AS $$
    BEGIN
        PERFORM 1 FROM tickets_ticket WHERE id = ticket FOR NO KEY UPDATE;
        INSERT INTO tickets_ticketsearch (ticket_id, document, notes)
        SELECT t.id,
            setweight(to_tsvector('helpdesk', hd_search_fold(t.subject)), 'A')
            || setweight(to_tsvector('helpdesk', hd_search_fold(coalesce(
                (SELECT string_agg(g.name, ' ') FROM tickets_ticket_tags tt
                 JOIN tickets_tag g ON g.id = tt.tag_id WHERE tt.ticket_id = t.id), ''))), 'B')
            || setweight(to_tsvector('helpdesk', hd_search_fold(left(coalesce(
                (SELECT string_agg(m.body_text, ' ' ORDER BY m.id) FROM tickets_message m
                 WHERE m.ticket_id = t.id AND m.is_public), ''), 200000))), 'C'),
            to_tsvector('helpdesk', hd_search_fold(left(coalesce(
                (SELECT string_agg(m.body_text, ' ' ORDER BY m.id) FROM tickets_message m
                 WHERE m.ticket_id = t.id AND NOT m.is_public), ''), 200000)))
        FROM tickets_ticket t WHERE t.id = ticket
        ON CONFLICT (ticket_id) DO UPDATE
            SET document = EXCLUDED.document, notes = EXCLUDED.notes;
    END $$
    """,
    """
    CREATE OR REPLACE FUNCTION hd_ticket_search_on_message() RETURNS trigger
    LANGUAGE plpgsql AS $$
    BEGIN
        IF TG_OP IN ('UPDATE', 'DELETE') THEN
            PERFORM hd_ticket_search_refresh(OLD.ticket_id);
        END IF;
        IF TG_OP = 'INSERT' OR (TG_OP = 'UPDATE' AND NEW.ticket_id <> OLD.ticket_id) THEN
            PERFORM hd_ticket_search_refresh(NEW.ticket_id);
        END IF;
        RETURN NULL;
    END $$
    """,
    """
    CREATE OR REPLACE FUNCTION hd_ticket_search_on_ticket() RETURNS trigger
    LANGUAGE plpgsql AS $$
    BEGIN
        IF TG_OP = 'DELETE' THEN
            DELETE FROM tickets_ticketsearch WHERE ticket_id = OLD.id;
        ELSE
            PERFORM hd_ticket_search_refresh(NEW.id);
        END IF;
        RETURN NULL;
    END $$
    """,
    """
    CREATE OR REPLACE FUNCTION hd_ticket_search_on_tag() RETURNS trigger
    LANGUAGE plpgsql AS $$
    BEGIN
        IF TG_OP = 'DELETE' THEN
            PERFORM hd_ticket_search_refresh(OLD.ticket_id);
        ELSE
            PERFORM hd_ticket_search_refresh(NEW.ticket_id);
        END IF;
        RETURN NULL;
    END $$
    """,
    "CREATE TRIGGER hd_ticket_search_message AFTER INSERT OR DELETE"
    " OR UPDATE OF body_text, is_public, ticket_id ON tickets_message"
    " FOR EACH ROW EXECUTE FUNCTION hd_ticket_search_on_message()",
    "CREATE TRIGGER hd_ticket_search_ticket AFTER INSERT OR DELETE OR UPDATE OF subject"
    " ON tickets_ticket FOR EACH ROW EXECUTE FUNCTION hd_ticket_search_on_ticket()",
    "CREATE TRIGGER hd_ticket_search_tag AFTER INSERT OR DELETE ON tickets_ticket_tags"
    " FOR EACH ROW EXECUTE FUNCTION hd_ticket_search_on_tag()",
    "CREATE INDEX IF NOT EXISTS ticket_search_document_idx"
    " ON tickets_ticketsearch USING gin (document)",
    "CREATE INDEX IF NOT EXISTS ticket_search_notes_idx ON tickets_ticketsearch USING gin (notes)",
    "SELECT hd_ticket_search_refresh(id) FROM tickets_ticket",
]
BACKWARD = [
    "DROP TRIGGER IF EXISTS hd_ticket_search_tag ON tickets_ticket_tags",
    "DROP TRIGGER IF EXISTS hd_ticket_search_ticket ON tickets_ticket",
    "DROP TRIGGER IF EXISTS hd_ticket_search_message ON tickets_message",
    "DROP FUNCTION IF EXISTS hd_ticket_search_on_tag()",
    "DROP FUNCTION IF EXISTS hd_ticket_search_on_ticket()",
    "DROP FUNCTION IF EXISTS hd_ticket_search_on_message()",
    "DROP FUNCTION IF EXISTS hd_ticket_search_refresh(bigint)",
    "DROP FUNCTION IF EXISTS hd_search_fold(text)",
    "DROP TEXT SEARCH CONFIGURATION IF EXISTS helpdesk",
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
    dependencies = [("tickets", "0008_ticket_search")]

    operations = [migrations.RunPython(forward, backward)]
