"""Issue 12: the requests and links that existed before requests were verified (own migration:
PostgreSQL cannot alter a table in the transaction that changed its rows)."""

from django.db import migrations

LABEL = "aanvraag van vóór het klantregister"


def requests_before_the_register(apps, schema_editor):
    """Issue 12: what existed before requests were verified.

    - Every request gets its own status page token.
    - Linked requests keep their link; their evidence says they were verified before the
      register existed (method ``before_register``, at the employer's consent).
    - Open requests were never verified: they become unverified (reserving nothing) and wait for
      ``manage.py requests_before_register --send`` (a confirmation mail to the address on file,
      or a.s.r.'s review). Their links go back to waiting for a verified request.
    """
    import secrets

    from django.utils import timezone

    Request = apps.get_model("employers", "EmployerRequest")
    Link = apps.get_model("employers", "EmployerLink")
    Number = apps.get_model("employers", "RequestTaxNumber")
    Event = apps.get_model("employers", "EmployerEvent")
    now = timezone.now()
    for request in Request.objects.filter(status_token__isnull=True).only("pk").iterator():
        Request.objects.filter(pk=request.pk).update(status_token=secrets.token_urlsafe(32))
    events = []
    for request in Request.objects.filter(status__in=["linked"]).iterator():
        Request.objects.filter(pk=request.pk).update(
            verification_method="before_register",
            verified_at=request.consent_at,
            verified_email=request.contact_email,
            before_register=True,
        )
        events.append(Event(request_id=request.pk, from_status="linked", to_status="linked",
                            actor_label=LABEL, note="geverifieerd vóór het klantregister bestond",
                            at=now))
    open_ids = list(Request.objects.filter(status="open").values_list("pk", flat=True))
    if open_ids:
        Request.objects.filter(pk__in=open_ids).update(
            status="unverified", before_register=True, expires_at=None, visibility_due_at=None
        )
        Number.objects.filter(request_id__in=open_ids).update(is_open=False)
        for link in Link.objects.filter(request_id__in=open_ids).exclude(status="active"):
            events.append(Event(link_id=link.pk, from_status=link.status,
                                to_status="awaiting_request", actor_label=LABEL,
                                note="aanvraag moet opnieuw worden bevestigd", at=now))
            Link.objects.filter(pk=link.pk).update(
                status="awaiting_request", request_id=None, problem_code="", problem_detail="",
                link_requested_at=None, link_claimed_until=None,
            )
        events += [Event(request_id=pk, from_status="open", to_status="unverified",
                         actor_label=LABEL, note="moet opnieuw worden bevestigd", at=now)
                   for pk in open_ids]
    Event.objects.bulk_create(events, batch_size=1000)


class Migration(migrations.Migration):
    dependencies = [('employers', '0006_consent')]

    operations = [
        migrations.RunPython(requests_before_the_register, migrations.RunPython.noop),
    ]
