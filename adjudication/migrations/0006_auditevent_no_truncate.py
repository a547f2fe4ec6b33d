"""Audit rows cannot be truncated either: row triggers do not fire on TRUNCATE, so a
statement-level trigger refuses it (PostgreSQL only; SQLite has no TRUNCATE).

The one exception is a session that sets ``adjudication.allow_audit_truncate = 'on'``: the
test suite does, because Django empties the test database between transactional tests with
TRUNCATE. No application code sets it; whoever can set it on a connection could as well drop
the trigger (the table owner), so it opens nothing new.
"""

from django.db import migrations

POSTGRES_UP = """
CREATE OR REPLACE FUNCTION adjudication_auditevent_no_truncate() RETURNS trigger AS $$
BEGIN
    IF current_setting('adjudication.allow_audit_truncate', true) = 'on' THEN
        RETURN NULL;
    END IF;
    RAISE EXCEPTION 'audit events are append-only (% refused)', TG_OP;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER adjudication_auditevent_no_truncate
    BEFORE TRUNCATE ON adjudication_auditevent
    FOR EACH STATEMENT EXECUTE FUNCTION adjudication_auditevent_no_truncate();
"""
POSTGRES_DOWN = """
DROP TRIGGER IF EXISTS adjudication_auditevent_no_truncate ON adjudication_auditevent;
DROP FUNCTION IF EXISTS adjudication_auditevent_no_truncate();
"""


def up(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(POSTGRES_UP, params=None)


def down(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(POSTGRES_DOWN, params=None)


class Migration(migrations.Migration):
    dependencies = [("adjudication", "0005_auto_annotation_proposal")]
    operations = [migrations.RunPython(up, down)]
