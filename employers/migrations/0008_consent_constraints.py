"""Issue 12: the constraints of verified requests and ended links, and the append-only history."""

import employers.models
from django.db import migrations, models

APPEND_ONLY_SQL = """
CREATE OR REPLACE FUNCTION employers_event_append_only() RETURNS trigger AS $$
BEGIN
    -- A user deleted: Django sets actor_id to NULL (on_delete=SET_NULL); nothing else changes.
    IF TG_OP = 'UPDATE' AND NEW.actor_id IS NULL
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
CREATE TRIGGER employers_event_append_only BEFORE UPDATE ON employers_employerevent
    FOR EACH ROW EXECUTE FUNCTION employers_event_append_only();
"""


def append_only_events(apps, schema_editor):
    """The history is evidence: PostgreSQL refuses to change a row of it (rows of unverified
    requests are deleted with them when they expire; nothing is ever rewritten)."""
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(APPEND_ONLY_SQL)


def drop_append_only_events(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            "DROP TRIGGER IF EXISTS employers_event_append_only ON employers_employerevent;"
            "DROP FUNCTION IF EXISTS employers_event_append_only();"
        )


class Migration(migrations.Migration):
    dependencies = [('employers', '0007_consent_data')]

    operations = [
        migrations.AlterField(
            model_name='employerrequest',
            name='status_token',
            field=models.CharField(default=employers.models._status_token, editable=False, max_length=64, unique=True),
        ),
        migrations.RunPython(append_only_events, drop_append_only_events),
        migrations.AddIndex(
            model_name='employerrequest',
            index=models.Index(condition=models.Q(('expires_at__isnull', False)), fields=['expires_at'], name='request_expiry'),
        ),
        migrations.AddConstraint(
            model_name='employerlink',
            constraint=models.UniqueConstraint(condition=models.Q(('status', 'ended'), _negated=True), fields=('processor', 'loket_employer_id'), name='one_link_per_processor_employer'),
        ),
        migrations.AddConstraint(
            model_name='employerlink',
            constraint=models.CheckConstraint(condition=models.Q(models.Q(('status', 'ended'), _negated=True), ('ended_at__isnull', False), _connector='OR'), name='ended_link_has_date'),
        ),
        migrations.AddConstraint(
            model_name='employerlink',
            constraint=models.CheckConstraint(condition=models.Q(('status__in', ['awaiting_request', 'pending', 'active', 'problem', 'needs_attention', 'ended'])), name='link_status_valid'),
        ),
        migrations.AddConstraint(
            model_name='employerrequest',
            constraint=models.CheckConstraint(condition=models.Q(('status__in', ['unverified', 'in_review', 'open', 'linked', 'withdrawn', 'rejected', 'declined', 'ended'])), name='request_status_valid'),
        ),
        migrations.AddConstraint(
            model_name='employerrequest',
            constraint=models.CheckConstraint(condition=models.Q(('status__in', ['unverified', 'in_review']), ('verified_at__isnull', False), ('status__in', ['withdrawn', 'rejected', 'declined']), _connector='OR'), name='request_open_is_verified'),
        ),
    ]
