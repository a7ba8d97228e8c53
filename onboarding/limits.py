"""The portal's rate limits, read from settings (so tests and operators can tune them)."""

from __future__ import annotations

import hashlib
import ipaddress
import logging

from django.conf import settings

from onboarding.ratelimit import Limit, RateLimited, forget, hit, peek, window_remaining

logger = logging.getLogger(__name__)

__all__ = [
    "CheckCapReached",
    "RateLimited",
    "check_cap_lift",
    "check_failed",
    "check_failures_not_capped",
    "check_limit_per_account",
    "check_limit_per_client",
    "client_bucket",
    "employer_request_per_kvk",
    "login_check_not_locked",
    "login_failure",
    "login_success",
    "loket_call_budget",
    "loket_calls_per_minute_internal",
    "werkgevers_refresh",
]


def _digest(*parts: str) -> str:
    """Keys never carry a username or address in clear text."""
    joined = "\x1f".join(part.strip().casefold() for part in parts)
    return hashlib.sha256(joined.encode("utf-8")).hexdigest()[:32]


def client_bucket(ip: str) -> str:
    """The subject every per-client limit counts against (login, registration, correction,
    re-check, the employers' request form).

    An IPv4 address is one bucket. An IPv6 address counts as its /64: one customer line gets at
    least a /64 and any host on it may pick any of its 2^64 addresses, so per address it would
    be no limit at all. An IPv4-mapped IPv6 address (``::ffff:192.0.2.1``) is its IPv4 address.
    Anything that is not an address is its own bucket.
    """
    text = ip.strip()
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return text or "unknown"
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        prefix = int(address) >> 64 << 64  # int(): a scope (fe80::1%eth0) does not matter
        return str(ipaddress.IPv6Network((prefix, 64)))
    return str(address)


def check_limit_per_client(client_ip: str) -> None:
    hit(Limit("check-ip", settings.CHECKS_PER_IP_PER_HOUR, 3600), _digest(client_bucket(client_ip)))


def employer_request_per_kvk(kvk_number: str) -> None:
    """The employers' request form: requests naming one KvK number per day (whoever sends them),
    so the register's contact address and a.s.r.'s review queue cannot be flooded."""
    hit(
        Limit("request-kvk", settings.EMPLOYER_REQUESTS_PER_KVK_PER_DAY, 24 * 3600),
        _digest(kvk_number),
    )


def check_limit_per_account(omgevingscode: str, username: str) -> None:
    """Before a check asked for by a client (the public forms, the processor's account): refused
    when the account's or its omgevingscode's failed checks have reached today's cap
    (:class:`CheckCapReached`, counting nothing), else counted against the account's checks per
    hour."""
    check_failures_not_capped(omgevingscode, username)
    hit(
        Limit("check-account", settings.CHECKS_PER_ACCOUNT_PER_HOUR, 3600),
        _digest(omgevingscode, username),
    )


def loket_calls_per_minute_internal() -> int:
    """The calls per minute left for the portal's own work (daily re-checks, links, deliveries,
    checks of confirmed processors): ``LOKET_CALLS_PER_MINUTE`` less the anonymous checks' part
    (settings keep at least one check's two calls)."""
    return max(settings.LOKET_CALLS_PER_MINUTE - settings.LOKET_CALLS_PER_MINUTE_PUBLIC, 2)


def loket_call_budget(calls: int, *, public: bool = False) -> None:
    """The cap on calls to Loket.nl per minute, across every worker, in two budgets that never
    borrow from each other: ``public`` (checks of registrations not yet confirmed: anyone can
    start those) gets ``LOKET_CALLS_PER_MINUTE_PUBLIC``; everything else the rest, so the
    public can never make a re-check wait."""
    if public:
        limit = Limit("loket-calls-public", settings.LOKET_CALLS_PER_MINUTE_PUBLIC, 60)
    else:
        limit = Limit("loket-calls", loket_calls_per_minute_internal(), 60)
    hit(limit, "all", amount=calls)


def werkgevers_refresh(processor_pk: int) -> None:
    """A processor's fetches of its whole Loket.nl snapshot on demand ("Vernieuwen")."""
    hit(
        Limit("werkgevers-refresh", settings.WERKGEVERS_REFRESHES_PER_MINUTE, 60),
        str(processor_pk),
    )


def login_failure(email: str, client_ip: str) -> None:
    hit(
        Limit("login-fail", settings.LOGIN_FAILURES_ALLOWED, settings.LOGIN_LOCKOUT_SECONDS),
        _digest(email),
    )
    hit(
        Limit("login-fail-ip", settings.LOGIN_FAILURES_ALLOWED * 4, settings.LOGIN_LOCKOUT_SECONDS),
        _digest(client_bucket(client_ip)),
    )


def _login_limits() -> tuple[Limit, Limit]:
    # Must match the limits :func:`login_failure` counts against.
    return (
        Limit("login-fail", settings.LOGIN_FAILURES_ALLOWED, settings.LOGIN_LOCKOUT_SECONDS),
        Limit("login-fail-ip", settings.LOGIN_FAILURES_ALLOWED * 4, settings.LOGIN_LOCKOUT_SECONDS),
    )


def login_success(email: str) -> None:
    """A successful login starts the address's count of failures over (a few typing mistakes
    spread over weeks never add up to a lockout). The client address's count stays."""
    per_email, _per_ip = _login_limits()
    forget(per_email, _digest(email))


def login_check_not_locked(email: str, client_ip: str) -> None:
    """Raise :class:`RateLimited` when this e-mail address (or this client address) has used up
    its failed logins: ``LOGIN_FAILURES_ALLOWED`` failures lock the address out for the rest of
    the ``LOGIN_LOCKOUT_SECONDS`` window, even for the right password. Counts nothing itself;
    :func:`login_failure` counts. Fails closed when Redis does not answer."""
    per_email, per_ip = _login_limits()
    for limit, subject in (
        (per_email, _digest(email)),
        (per_ip, _digest(client_bucket(client_ip))),
    ):
        if peek(limit, subject) >= limit.limit:
            raise RateLimited(window_remaining(limit))


# --- failed checks per Loket.nl account and per omgevingscode, per day ---------------------------

DAY = 24 * 3600


class CheckCapReached(RateLimited):
    """Today's failed checks of this Loket.nl account (``scope`` "account") or of its
    omgevingscode ("omgevingscode") have reached the cap: refused without asking Loket.nl until
    the day ends (UTC) or a.s.r. lifts it in the admin."""

    def __init__(self, retry_after: int, *, scope: str) -> None:
        super().__init__(retry_after)
        self.scope = scope


def _failure_limits() -> tuple[Limit, Limit]:
    return (
        Limit("check-fail-account", settings.CHECK_FAILURES_PER_ACCOUNT_PER_DAY, DAY),
        Limit("check-fail-omgeving", settings.CHECK_FAILURES_PER_OMGEVINGSCODE_PER_DAY, DAY),
    )


def _failure_subjects(omgevingscode: str, username: str) -> tuple[str, str]:
    # Hashed and case-insensitive (Loket.nl's own comparison, and the register's unique key):
    # no username in any key or log line.
    return _digest(omgevingscode, username), _digest(omgevingscode)


def check_failures_not_capped(omgevingscode: str, username: str) -> None:
    """Raise :class:`CheckCapReached` when the account (omgevingscode + gebruikersnaam) or the
    omgevingscode has used up today's failed checks, from whatever client addresses they came.
    Counts nothing; fails closed like the other limits when Redis does not answer."""
    per_account, per_omgeving = _failure_limits()
    account, omgeving = _failure_subjects(omgevingscode, username)
    for limit, subject, scope in (
        (per_account, account, "account"),
        (per_omgeving, omgeving, "omgevingscode"),
    ):
        if peek(limit, subject) >= limit.limit:
            raise CheckCapReached(window_remaining(limit), scope=scope)


def check_failed(omgevingscode: str, username: str) -> None:
    """Count one failed check (Loket.nl answered, and not "passed") against the account's and
    the omgevingscode's daily caps. Never raises: the check itself is done."""
    for limit, subject in zip(
        _failure_limits(), _failure_subjects(omgevingscode, username), strict=True
    ):
        try:
            hit(limit, subject)
        except RateLimited as limited:
            if limited.unavailable:
                logger.warning("failed check not counted (%s): limiter unavailable", limit.name)


def check_cap_lift(omgevingscode: str, username: str) -> None:
    """a.s.r. lifts today's caps of this account and of its omgevingscode (the counts start
    over). Best effort when Redis does not answer (logged by :func:`forget`)."""
    for limit, subject in zip(
        _failure_limits(), _failure_subjects(omgevingscode, username), strict=True
    ):
        forget(limit, subject)


# --- accounts (issue 13): password reset, re-authentication, registration posts ----------------


def password_reset_request(email: str, client_ip: str) -> None:
    """ "Wachtwoord vergeten?": requests per client address and per e-mail address (hashed), the
    same for known and unknown addresses."""
    hit(
        Limit("reset-ip", settings.PASSWORD_RESETS_PER_IP_PER_HOUR, 3600),
        _digest(client_bucket(client_ip)),
    )
    hit(Limit("reset-email", settings.PASSWORD_RESETS_PER_EMAIL_PER_HOUR, 3600), _digest(email))


def registration_post(client_ip: str) -> None:
    """Posts of the registration form per client address, counted before the form is read."""
    hit(
        Limit("register-ip", settings.REGISTRATIONS_PER_IP_PER_HOUR, 3600),
        _digest(client_bucket(client_ip)),
    )


def _reauth_limit() -> Limit:
    return Limit("reauth-fail", settings.REAUTH_FAILURES_ALLOWED, settings.LOGIN_LOCKOUT_SECONDS)


def reauth_check_not_locked(user_pk: int) -> None:
    """Raise :class:`RateLimited` when this account has used up its wrong portal passwords
    where it is asked again (new Loket.nl details, password change)."""
    limit = _reauth_limit()
    if peek(limit, _digest(str(user_pk))) >= limit.limit:
        raise RateLimited(window_remaining(limit))


def reauth_failure(user_pk: int) -> None:
    hit(_reauth_limit(), _digest(str(user_pk)))


DUPLICATE_NOTICES_PER_DAY = 3


def duplicate_notice_allowed(processor_pk: int) -> bool:
    """Whether one more "someone registered with your details" mail may go to this registration
    today (so that the form cannot be used to flood a processor's mailbox). Fails closed: when
    the counters cannot be read, no mail."""
    try:
        hit(Limit("duplicate-notice", DUPLICATE_NOTICES_PER_DAY, 24 * 3600), str(processor_pk))
    except RateLimited:
        return False
    return True
