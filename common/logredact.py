"""Bearer tokens out of the logs: the status pages' and activation links' tokens are secrets in
a URL path, and access logs (gunicorn's, runserver's ``django.server``) and Django's own request
warnings ("Not Found: /aanmelding/<token>/") would keep them for anyone who reads the logs.

:func:`redact` replaces the token segments of those paths with ``…``; :class:`RedactTokens` is
a logging filter that applies it to every record (the message and its arguments), installed on
the portal's log handler (``LOGGING`` in config/settings.py). gunicorn's access log goes through
``config.gunicorn_logging.RedactingLogger``, which uses the same :func:`redact`.

A new page with a token in its path adds its prefix to :data:`TOKEN_PATHS`.
"""

from __future__ import annotations

import logging
import re

REDACTED = "\u2026"  # …

# The path prefixes followed by one token segment (the activation link: two, uid and token).
TOKEN_PATHS = (
    "/aanmelding/",  # the processor's status page (onboarding:status and its sub-pages)
    "/salariskoppeling/status/",  # the employer's status page
    "/salariskoppeling/bevestigen/",  # the employer's verification link
    "/salariskoppeling/aangevraagd/",  # the signed confirmation page of a request
)
TWO_SEGMENT_PATHS = ("/account/activeren/",)  # <uidb64>/<token>/

_SEGMENT = r"[^/\s?#\"'<>]+"
_ONE = re.compile("(" + "|".join(re.escape(prefix) for prefix in TOKEN_PATHS) + ")" + _SEGMENT)
_TWO = re.compile(
    "("
    + "|".join(re.escape(prefix) for prefix in TWO_SEGMENT_PATHS)
    + ")"
    + _SEGMENT
    + "(/"
    + _SEGMENT
    + ")?"
)


def redact(text: str) -> str:
    """``text`` with every token segment of a token path replaced by ``…``."""
    if "/" not in text:
        return text
    text = _ONE.sub(lambda m: m.group(1) + REDACTED, text)
    return _TWO.sub(lambda m: m.group(1) + REDACTED + ("/" + REDACTED if m.group(2) else ""), text)


def _redact_value(value: object) -> object:
    return redact(value) if isinstance(value, str) else value


class RedactTokens(logging.Filter):
    """Redacts the record's message and string arguments in place; never drops a record."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str):
            record.msg = redact(record.msg)
        if isinstance(record.args, dict):
            record.args = {key: _redact_value(value) for key, value in record.args.items()}
        elif isinstance(record.args, tuple):
            record.args = tuple(_redact_value(value) for value in record.args)
        return True
