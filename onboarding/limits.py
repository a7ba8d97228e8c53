"""The portal's rate limits, read from settings (so tests and operators can tune them)."""

from __future__ import annotations

import hashlib

from django.conf import settings

from onboarding.ratelimit import Limit, RateLimited, forget, hit, peek, window_remaining

__all__ = [
    "RateLimited",
    "check_limit_per_account",
    "check_limit_per_client",
    "employer_request_per_kvk",
    "login_check_not_locked",
    "login_failure",
    "login_success",
    "loket_call_budget",
    "werkgevers_refresh",
]


def _digest(*parts: str) -> str:
    """Keys never carry a username or address in clear text."""
    joined = "\x1f".join(part.strip().casefold() for part in parts)
    return hashlib.sha256(joined.encode("utf-8")).hexdigest()[:32]


def check_limit_per_client(client_ip: str) -> None:
    hit(Limit("check-ip", settings.CHECKS_PER_IP_PER_HOUR, 3600), _digest(client_ip))


def employer_request_per_kvk(kvk_number: str) -> None:
    """The employers' request form: requests naming one KvK number per day (whoever sends them),
    so the register's contact address and a.s.r.'s review queue cannot be flooded."""
    hit(
        Limit("request-kvk", settings.EMPLOYER_REQUESTS_PER_KVK_PER_DAY, 24 * 3600),
        _digest(kvk_number),
    )


def check_limit_per_account(omgevingscode: str, username: str) -> None:
    hit(
        Limit("check-account", settings.CHECKS_PER_ACCOUNT_PER_HOUR, 3600),
        _digest(omgevingscode, username),
    )


def loket_call_budget(calls: int) -> None:
    """The cap on all calls to Loket.nl per minute, across every worker."""
    hit(Limit("loket-calls", settings.LOKET_CALLS_PER_MINUTE, 60), "all", amount=calls)


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
        _digest(client_ip),
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
    for limit, subject in ((per_email, _digest(email)), (per_ip, _digest(client_ip))):
        if peek(limit, subject) >= limit.limit:
            raise RateLimited(window_remaining(limit))


# --- accounts (issue 13): password reset, re-authentication, registration posts ----------------


def password_reset_request(email: str, client_ip: str) -> None:
    """ "Wachtwoord vergeten?": requests per client address and per e-mail address (hashed), the
    same for known and unknown addresses."""
    hit(Limit("reset-ip", settings.PASSWORD_RESETS_PER_IP_PER_HOUR, 3600), _digest(client_ip))
    hit(Limit("reset-email", settings.PASSWORD_RESETS_PER_EMAIL_PER_HOUR, 3600), _digest(email))


def registration_post(client_ip: str) -> None:
    """Posts of the registration form per client address, counted before the form is read."""
    hit(Limit("register-ip", settings.REGISTRATIONS_PER_IP_PER_HOUR, 3600), _digest(client_ip))


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
