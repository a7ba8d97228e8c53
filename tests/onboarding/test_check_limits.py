"""Issue 13, point 4: the credential check is no password oracle.

Per-client limits count an IPv6 client per /64; failed checks are capped per Loket.nl account and
per omgevingscode per day, from whatever addresses, and a.s.r. can lift the cap; anonymous checks
have a budget of calls apart from the re-checks'. Real sandbox over HTTP, real Redis counters.
"""

from __future__ import annotations

import contextlib

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from onboarding import limits, services
from onboarding.models import CheckAttempt, PayrollProcessor, Status
from onboarding.ratelimit import RateLimited
from onboarding.services.check_limits import CAP_LIFTED_NOTE
from tests.onboarding.factories import DEMO_PASSWORD, PayrollProcessorFactory, StaffUserFactory

pytestmark = pytest.mark.django_db

CHANGELIST = reverse("admin:onboarding_payrollprocessor_changelist")


def _submit(capture, *, username="ws-benefits", password=DEMO_PASSWORD, client_ip="192.0.2.10"):
    with capture(execute=True):
        processor = services.registration_submit(
            company_name="Salarisbureau Test B.V.",
            email=f"{username}@example.nl",
            omgevingscode="DEMO001",
            loket_username=username,
            loket_password=password,
            client_ip=client_ip,
        )
    processor.refresh_from_db()
    return processor


def _correct(capture, processor, *, client_ip, username=None, omgevingscode="DEMO001", password):
    with capture(execute=True):
        services.credentials_update(
            processor=processor,
            omgevingscode=omgevingscode,
            loket_username=username or processor.loket_username,
            loket_password=password,
            client_ip=client_ip,
            actor_label="statuspagina",
        )


@pytest.fixture
def open_hourly_limits(settings):
    """Only the caps under test stop anything (the hourly limits would stop a spray later)."""
    settings.CHECKS_PER_IP_PER_HOUR = 10_000
    settings.CHECKS_PER_ACCOUNT_PER_HOUR = 10_000
    return settings


# --- IPv6 per /64 ---------------------------------------------------------------------------------


def test_client_bucket_groups_ipv6_per_64_and_ipv4_per_address():
    one_64 = ["2001:db8:1:2::1", "2001:db8:1:2:ffff:ffff:ffff:fffe", "2001:DB8:1:2:abcd::9"]

    assert {limits.client_bucket(address) for address in one_64} == {"2001:db8:1:2::/64"}
    assert limits.client_bucket("2001:db8:1:3::1") == "2001:db8:1:3::/64"
    assert limits.client_bucket("192.0.2.1") != limits.client_bucket("192.0.2.2")
    assert limits.client_bucket("::ffff:192.0.2.1") == "192.0.2.1"
    assert limits.client_bucket("fe80::1%eth0") == "fe80::/64"
    assert limits.client_bucket("niet-een-adres") == "niet-een-adres"


def test_checks_from_many_addresses_of_one_ipv6_64_share_one_per_client_limit(settings):
    settings.CHECKS_PER_IP_PER_HOUR = 3
    for address in ("2001:db8:1:2::1", "2001:db8:1:2::2", "2001:db8:1:2:8000::3"):
        limits.check_limit_per_client(address)

    with pytest.raises(RateLimited):
        limits.check_limit_per_client("2001:db8:1:2:dead:beef:0:4")
    limits.check_limit_per_client("2001:db8:1:3::1")  # another /64: its own budget
    limits.check_limit_per_client("192.0.2.1")


def test_registrations_from_many_addresses_of_one_ipv6_64_are_limited_together(client, settings):
    settings.CHECKS_PER_IP_PER_HOUR = 1
    form = {
        "company_name": "Salarisbureau De Vries B.V.",
        "email": "salaris@devries.example",
        "loket_username": "ws-benefits",
        "loket_password": DEMO_PASSWORD,
        "omgevingscode": "DEMO001",
        "consent": "on",
    }
    first = client.post(reverse("onboarding:register"), form, REMOTE_ADDR="2001:db8:7:7::1")

    second = client.post(
        reverse("onboarding:register"),
        form | {"email": "ander@example.nl", "loket_username": "ws-ander"},
        REMOTE_ADDR="2001:db8:7:7:1234::abcd",
    )

    assert first.status_code == 302
    assert second.status_code == 429
    assert PayrollProcessor.objects.count() == 1


def test_failed_logins_from_many_addresses_of_one_ipv6_64_lock_that_64_out(settings):
    settings.LOGIN_FAILURES_ALLOWED = 1  # four failures per client
    for n in range(4):
        with contextlib.suppress(RateLimited):
            limits.login_failure(f"persoon{n}@example.nl", f"2001:db8:9:9::{n + 1}")

    with pytest.raises(RateLimited):
        limits.login_check_not_locked("nieuw@example.nl", "2001:db8:9:9:ffff::1")
    limits.login_check_not_locked("nieuw@example.nl", "2001:db8:9:a::1")


# --- the daily cap of failed checks per Loket.nl account ---------------------------------------


def test_a_spray_through_many_addresses_is_stopped_by_the_accounts_daily_failure_cap(
    loket_settings, django_capture_on_commit_callbacks, open_hourly_limits
):
    open_hourly_limits.CHECK_FAILURES_PER_ACCOUNT_PER_DAY = 3
    capture = django_capture_on_commit_callbacks
    processor = _submit(capture, password="gok-0", client_ip="198.51.100.1")
    for n in range(1, 3):
        _correct(capture, processor, password=f"gok-{n}", client_ip=f"198.51.100.{n + 1}")
    assert CheckAttempt.objects.filter(processor=processor).count() == 3

    for n, address in enumerate(["203.0.113.9", "2001:db8:ff::1", "192.0.2.200"]):
        with pytest.raises(limits.CheckCapReached) as refused:
            _correct(
                capture,
                processor,
                # Another spelling of the same account counts alike.
                username="WS-Benefits" if n == 1 else "ws-benefits",
                password=DEMO_PASSWORD,
                client_ip=address,
            )
        assert refused.value.scope == "account"
    with pytest.raises(limits.CheckCapReached):
        services.check_request(
            processor=processor, actor=None, actor_label="statuspagina", client_ip="192.0.2.201"
        )

    processor.refresh_from_db()
    assert CheckAttempt.objects.filter(processor=processor).count() == 3  # Loket.nl not asked
    assert processor.status == Status.CHECK_FAILED
    assert processor.check_requested_at is None


def test_a_capped_account_gets_a_dutch_page_with_asr_contact_and_nothing_changes(
    client, loket_settings, django_capture_on_commit_callbacks, open_hourly_limits
):
    open_hourly_limits.CHECK_FAILURES_PER_ACCOUNT_PER_DAY = 1
    processor = _submit(django_capture_on_commit_callbacks, password="gok-0")

    response = client.post(
        reverse("onboarding:correct", args=[processor.status_token]),
        {"omgevingscode": "DEMO001", "loket_username": "ws-benefits", "loket_password": "x"},
    )

    page = response.content.decode()
    assert response.status_code == 429
    assert "Voor deze webservicegebruiker zijn vandaag te veel controles mislukt" in page
    assert open_hourly_limits.ASR_CONTACT_EMAIL in page
    assert 0 < int(response["Retry-After"]) <= 24 * 3600
    assert CheckAttempt.objects.count() == 1


def test_the_daily_failure_cap_keys_hold_no_username(
    loket_settings, django_capture_on_commit_callbacks, settings
):
    import redis

    _submit(django_capture_on_commit_callbacks, username="ws-zonder-team")

    keys = [key.decode() for key in redis.Redis.from_url(settings.REDIS_URL).scan_iter("rl:*")]
    assert any(key.startswith("rl:check-fail-account:") for key in keys)
    assert not [key for key in keys if "zonder" in key.lower() or "demo001" in key.lower()]


def test_the_daily_recheck_of_a_capped_account_still_runs(
    loket_settings, django_capture_on_commit_callbacks, settings
):
    """The cap is for checks a client asks for; the portal's own re-check uses the stored
    credentials nobody outside can change."""
    settings.CHECK_FAILURES_PER_ACCOUNT_PER_DAY = 1
    processor = PayrollProcessorFactory(confirmed=True, loket_username="ws-benefits")
    limits.check_failed("DEMO001", "ws-benefits")

    with django_capture_on_commit_callbacks(execute=True):
        services.daily_recheck_request(processor_id=processor.pk)

    assert processor.check_attempts.count() == 1


# --- per omgevingscode ----------------------------------------------------------------------------


def test_spraying_many_usernames_under_one_omgevingscode_is_capped(
    loket_settings, django_capture_on_commit_callbacks, open_hourly_limits
):
    open_hourly_limits.CHECK_FAILURES_PER_ACCOUNT_PER_DAY = 10
    open_hourly_limits.CHECK_FAILURES_PER_OMGEVINGSCODE_PER_DAY = 3
    capture = django_capture_on_commit_callbacks
    processor = _submit(capture, username="ws-gok-0", client_ip="198.51.100.1")
    for n in range(1, 3):
        _correct(
            capture,
            processor,
            username=f"ws-gok-{n}",
            password=DEMO_PASSWORD,
            client_ip=f"2001:db8:{n}::1",
        )
    assert CheckAttempt.objects.count() == 3

    with pytest.raises(limits.CheckCapReached) as refused:
        _correct(capture, processor, username="ws-gok-3", password="x", client_ip="192.0.2.99")

    assert refused.value.scope == "omgevingscode"
    assert CheckAttempt.objects.count() == 3
    # Another environment is not held back by this one's failures.
    limits.check_failures_not_capped("ANDERE01", "ws-gok-3")


# --- a.s.r. lifts the cap -----------------------------------------------------------------------


def _capped_processor(capture, settings):
    settings.CHECK_FAILURES_PER_ACCOUNT_PER_DAY = 1
    processor = _submit(capture, password="gok-0")
    with pytest.raises(limits.CheckCapReached):
        limits.check_limit_per_account("DEMO001", "ws-benefits")
    return processor


def test_asr_lifts_the_cap_in_the_admin(
    client, loket_settings, django_capture_on_commit_callbacks, open_hourly_limits
):
    processor = _capped_processor(django_capture_on_commit_callbacks, open_hourly_limits)
    staff = StaffUserFactory(
        permissions=[
            "onboarding.view_payrollprocessor",
            "onboarding.change_payrollprocessor",
            "onboarding.confirm_payrollprocessor",
        ]
    )
    client.force_login(staff)

    response = client.post(
        CHANGELIST,
        {"action": "lift_check_cap", "_selected_action": [processor.pk], "index": 0},
        follow=True,
    )

    assert [str(m) for m in get_messages(response.wsgi_request)] == [
        "Controlelimiet opgeheven voor 1 aanmelding."
    ]
    limits.check_limit_per_account("DEMO001", "ws-benefits")  # no longer refused
    lifted = processor.status_changes.order_by("at", "pk").last()
    assert lifted.note == CAP_LIFTED_NOTE
    assert lifted.actor == staff
    _correct(
        django_capture_on_commit_callbacks, processor, password=DEMO_PASSWORD, client_ip="192.0.2.5"
    )
    processor.refresh_from_db()
    assert processor.status == Status.CHECK_PASSED


def test_lifting_the_cap_needs_the_confirm_permission(
    client, loket_settings, django_capture_on_commit_callbacks, open_hourly_limits
):
    processor = _capped_processor(django_capture_on_commit_callbacks, open_hourly_limits)
    client.force_login(
        StaffUserFactory(
            permissions=[
                "onboarding.view_payrollprocessor",
                "onboarding.change_payrollprocessor",
            ]
        )
    )

    page = client.get(CHANGELIST).content.decode()
    client.post(
        CHANGELIST,
        {"action": "lift_check_cap", "_selected_action": [processor.pk], "index": 0},
        follow=True,
    )

    assert "lift_check_cap" not in page
    with pytest.raises(limits.CheckCapReached):
        limits.check_limit_per_account("DEMO001", "ws-benefits")
    assert not processor.status_changes.filter(note=CAP_LIFTED_NOTE).exists()


# --- the public's budget apart from the re-checks' ------------------------------------------------


def test_public_checks_exhausting_their_budget_do_not_delay_a_recheck(
    loket_settings, django_capture_on_commit_callbacks, open_hourly_limits
):
    open_hourly_limits.LOKET_CALLS_PER_MINUTE = 4
    open_hourly_limits.LOKET_CALLS_PER_MINUTE_PUBLIC = 2  # one public check a minute
    confirmed = PayrollProcessorFactory(confirmed=True, loket_username="ws-benefits")
    first = _submit(django_capture_on_commit_callbacks, username="ws-zonder-team")
    waiting = _submit(django_capture_on_commit_callbacks, username="ws-andere-partij")

    with django_capture_on_commit_callbacks(execute=True):
        services.daily_recheck_request(processor_id=confirmed.pk)

    confirmed.refresh_from_db()
    assert first.check_attempts.count() == 1
    assert waiting.check_attempts.count() == 0  # the public's budget is spent: it waits
    assert waiting.check_retry_at is not None
    assert confirmed.check_attempts.count() == 1  # the re-check did not wait
    assert confirmed.check_requested_at is None
    assert confirmed.status == Status.CONFIRMED
