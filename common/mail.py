"""The portal's e-mail plumbing: one way to build a mail and one way to send many.

Every mail renders three templates, ``<prefix>_subject.txt``, ``<prefix>_body.txt`` and
``<prefix>_body.html``, in the mail's language, and goes out as one
:class:`~django.core.mail.EmailMultiAlternatives` from ``DEFAULT_FROM_EMAIL``.

- **Untrusted text stays text**: the HTML bodies autoescape what they show; the subject is folded
  onto one line, so a company name with line breaks cannot add mail headers.
- **Links are absolute**: mails are sent by workers, not requests, so links are built on
  ``PORTAL_BASE_URL`` (:func:`absolute_url`).
- **One language per mail**: subject, text and HTML body render in the same language (Dutch by
  default, :data:`MAIL_LANGUAGE`), dates and numbers included; the caller words what it puts in
  the context (findings, problems) under :func:`mail_language` with the same language.
- **Help at the end of every mail**: each template ends with a.s.r.'s contact details
  (``common.context_processors.contact()``, handed to every mail as ``asr_contact``).
- **Few connections**: :func:`send_all` sends any number of mails through one SMTP connection,
  in batches, so memory stays flat for a bulk of 10,000 mails.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.template.loader import render_to_string
from django.utils import translation

from common.context_processors import contact

MAIL_LANGUAGE = "nl"
"""The language mails are written in (the findings and problems in them too)."""

SEND_BATCH = 500
"""Messages handed to the connection at a time."""


def recipient_language(stored: str | None) -> str:
    """The language a recipient reads: the one stored with them (the page's language when they
    registered or asked) if the portal speaks it, else :data:`MAIL_LANGUAGE`."""
    return stored if stored in {code for code, _name in settings.LANGUAGES} else MAIL_LANGUAGE


def mail_language(language: str = MAIL_LANGUAGE) -> translation.override:
    """Word what goes into a mail's context (findings, problems) in the mail's language."""
    return translation.override(language)


def absolute_url(path: str) -> str:
    """``path`` on the portal's public base URL."""
    return settings.PORTAL_BASE_URL + path


def one_line(text: str) -> str:
    """Fold whitespace (line breaks included) to single spaces: a subject is one header line."""
    return " ".join(text.split())


def build(
    template_prefix: str,
    *,
    to: Sequence[str],
    context: dict[str, Any],
    language: str = MAIL_LANGUAGE,
) -> EmailMultiAlternatives:
    """The mail ``template_prefix`` (e.g. ``"employers/emails/link_active"``) for ``to``, all of
    it in ``language``."""
    context = {"asr_contact": contact(), **context}
    with translation.override(language):
        subject = one_line(render_to_string(f"{template_prefix}_subject.txt", context))
        text = render_to_string(f"{template_prefix}_body.txt", context)
        html = render_to_string(f"{template_prefix}_body.html", context)
    message = EmailMultiAlternatives(
        subject=subject, body=text, from_email=settings.DEFAULT_FROM_EMAIL, to=list(to)
    )
    message.attach_alternative(html, "text/html")
    return message


def send_all(messages: Iterable[EmailMultiAlternatives]) -> int:
    """Send through ONE connection, in batches of :data:`SEND_BATCH`; returns how many went out.

    A refused connection or send raises (``OSError`` / ``SMTPException``): the caller's outbox
    keeps the mail due.
    """
    sent = 0
    with get_connection() as connection:
        batch: list[EmailMultiAlternatives] = []
        for message in messages:
            batch.append(message)
            if len(batch) >= SEND_BATCH:
                sent += connection.send_messages(batch) or 0
                batch = []
        if batch:
            sent += connection.send_messages(batch) or 0
    return sent
