"""Audit rows cannot be updated or deleted: enforced by the database, not by convention."""

from django.db import migrations

POSTGRES_UP = """
CREATE OR REPLACE FUNCTION adjudication_auditevent_immutable() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'audit events are append-only (% refused)', TG_OP;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER adjudication_auditevent_no_change
    BEFORE UPDATE OR DELETE ON adjudication_auditevent
    FOR EACH ROW EXECUTE FUNCTION adjudication_auditevent_immutable();
"""
POSTGRES_DOWN = """
DROP TRIGGER IF EXISTS adjudication_auditevent_no_change ON adjudication_auditevent;
DROP FUNCTION IF EXISTS adjudication_auditevent_immutable();
"""
SQLITE_UP = [
    """CREATE TRIGGER adjudication_auditevent_no_update BEFORE UPDATE ON adjudication_auditevent
       BEGIN SELECT RAISE(ABORT, 'audit events are append-only (UPDATE refused)'); END;""",
    """CREATE TRIGGER adjudication_auditevent_no_delete BEFORE DELETE ON adjudication_auditevent
       BEGIN SELECT RAISE(ABORT, 'audit events are append-only (DELETE refused)'); END;""",
]
SQLITE_DOWN = [
    "DROP TRIGGER IF EXISTS adjudication_auditevent_no_update;",
    "DROP TRIGGER IF EXISTS adjudication_auditevent_no_delete;",
]


def up(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(POSTGRES_UP, params=None)
    elif vendor == "sqlite":
        for statement in SQLITE_UP:
            schema_editor.execute(statement)


def down(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(POSTGRES_DOWN, params=None)
    elif vendor == "sqlite":
        for statement in SQLITE_DOWN:
            schema_editor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [("adjudication", "0001_initial")]
    operations = [migrations.RunPython(up, down)]
