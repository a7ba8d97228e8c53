"""Issue 12: the history is evidence. Besides UPDATE (0008), PostgreSQL now refuses DELETE of any
history row, except the rows of a request never verified (unverified or in review), which are
deleted with it when it expires. A maintenance script (a benchmark's clean-up) may delete inside
a transaction that says so: ``SET LOCAL employers.history_delete = 'allowed'``."""

from django.db import migrations

SQL = """
CREATE OR REPLACE FUNCTION employers_event_append_only() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        IF current_setting('employers.history_delete', true) = 'allowed' THEN
            RETURN OLD;
        END IF;
        IF OLD.link_id IS NULL AND EXISTS (
            SELECT 1 FROM employers_employerrequest r
            WHERE r.id = OLD.request_id AND r.status IN ('unverified', 'in_review')
        ) THEN
            RETURN OLD;
        END IF;
        RAISE EXCEPTION 'employers_employerevent is append-only';
    END IF;
    -- A user deleted: Django sets actor_id to NULL (on_delete=SET_NULL); nothing else changes.
    IF NEW.actor_id IS NULL
       AND (NEW.id, NEW.request_id, NEW.link_id, NEW.from_status, NEW.to_status,
            NEW.actor_label, NEW.note, NEW.at)
           IS NOT DISTINCT FROM
           (OLD.id, OLD.request_id, OLD.link_id, OLD.from_status, OLD.to_status,
            OLD.actor_label, OLD.note, OLD.at) THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'employers_employerevent is append-only';
END;
$$ LANGUAGE plpgsql;
DROP TRIGGER IF EXISTS employers_event_append_only ON employers_employerevent;
CREATE TRIGGER employers_event_append_only BEFORE UPDATE OR DELETE ON employers_employerevent
    FOR EACH ROW EXECUTE FUNCTION employers_event_append_only();
"""

BACK = """
DROP TRIGGER IF EXISTS employers_event_append_only ON employers_employerevent;
CREATE TRIGGER employers_event_append_only BEFORE UPDATE ON employers_employerevent
    FOR EACH ROW EXECUTE FUNCTION employers_event_append_only();
"""


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(SQL)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(BACK)


class Migration(migrations.Migration):
    dependencies = [("employers", "0011_review_permission")]

    operations = [migrations.RunPython(forward, backward)]
