# One search-document rebuild per ticket and statement. A new ticket is written with its first
# message and its tags in one statement (core.rows.insert_with), and a bulk write may add
# several messages or tags to one ticket at once: every row's AFTER trigger fired at the
# statement's end and rebuilt the same document (each rebuild reads all the ticket's messages).
# All those triggers see every row of the statement, so one rebuild is enough: the tag row
# with the highest tag id written by the statement does it, else the message with the
# highest id, else the ticket itself (0014). "Written by this statement" is the row's
# (xmin, cmin): the same transaction and the same command.

from django.db import migrations

ON_MESSAGE = """
CREATE OR REPLACE FUNCTION hd_ticket_search_on_message() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        PERFORM hd_ticket_search_refresh(OLD.ticket_id);
    END IF;
    IF TG_OP = 'INSERT' AND EXISTS (
        SELECT 1 FROM tickets_message m
        JOIN tickets_ticket_tags tt ON tt.ticket_id = m.ticket_id
             AND tt.xmin = m.xmin AND tt.cmin = m.cmin
        WHERE m.id = NEW.id
    ) THEN
        NULL;  -- written with tags: the last tag's trigger builds the document
    ELSIF TG_OP = 'INSERT' AND EXISTS (
        SELECT 1 FROM tickets_message m
        JOIN tickets_message later ON later.ticket_id = m.ticket_id AND later.id > m.id
             AND later.xmin = m.xmin AND later.cmin = m.cmin
        WHERE m.id = NEW.id
    ) THEN
        NULL;  -- a later message of the same statement builds it
    ELSIF TG_OP = 'INSERT' OR (TG_OP = 'UPDATE' AND NEW.ticket_id <> OLD.ticket_id) THEN
        PERFORM hd_ticket_search_refresh(NEW.ticket_id);
    END IF;
    RETURN NULL;
END $$
"""

ON_TAG = """
CREATE OR REPLACE FUNCTION hd_ticket_search_on_tag() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        PERFORM hd_ticket_search_refresh(OLD.ticket_id);
    ELSIF NOT EXISTS (
        SELECT 1 FROM tickets_ticket_tags tt
        JOIN tickets_ticket_tags later ON later.ticket_id = tt.ticket_id
             AND later.tag_id > tt.tag_id AND later.xmin = tt.xmin AND later.cmin = tt.cmin
        WHERE tt.id = NEW.id
    ) THEN
        PERFORM hd_ticket_search_refresh(NEW.ticket_id);
    END IF;
    RETURN NULL;
END $$
"""

ON_MESSAGE_BEFORE = """
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
"""

ON_TAG_BEFORE = """
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
"""


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(ON_MESSAGE)
        schema_editor.execute(ON_TAG)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(ON_MESSAGE_BEFORE)
        schema_editor.execute(ON_TAG_BEFORE)


class Migration(migrations.Migration):
    dependencies = [
        ("tickets", "0014_search_refresh_once"),
    ]

    operations = [migrations.RunPython(forward, backward)]
