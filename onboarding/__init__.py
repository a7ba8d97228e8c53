"""Payroll processors (salarisverwerkers): their registration with a.s.r., the live check of their
Loket.nl web-service user, a.s.r.'s review, and their portal account.

What lives where (dependencies run from the top of this list down; ``pyproject.toml``'s import
contracts check it):

- ``urls``, ``apps``: routing, and the app config that registers checks, signals and tasks.
- ``views/`` (``public``, ``account``, ``pages``), ``admin/`` (the a.s.r. staff side), ``tasks``
  (thin Celery wrappers, registered under ``task_names``), ``management/commands``.
- ``forms``: what people type, validated.
- ``services/``: every change (its ``__init__`` says what lives where).
- ``emails`` (building and sending the mails), ``selectors`` (reads), ``signals`` (the worker's
  start-up check), ``pagecache`` (cached public pages), then ``checks`` (start-up checks).
- ``models``, ``crypto`` (the Loket.nl passwords encrypted at rest), ``limits`` and
  ``ratelimit`` (abuse limits), ``http`` (client address, 429 page), ``task_names``.
"""
