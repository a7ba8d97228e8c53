"""The employer side: employers' requests for the salary link, the processor's registrations of
employers, and the links between them.

What lives where (dependencies run from the top of this list down; ``pyproject.toml``'s import
contracts check it):

- ``urls``, ``apps``: routing, and the app config that registers the tasks.
- ``views/`` (``employer``: the public request form; ``werkgevers``: the processor's page),
  ``admin``, ``tasks`` (thin Celery wrappers, registered under ``task_names``).
- ``forms``: what people type, validated.
- ``services/`` (every change; its ``__init__`` says what lives where) and ``selectors`` (the
  Werkgevers page's read model).
- ``emails`` (building and sending the mails), ``loket_snapshot`` (what a processor's
  web-service user sees in Loket.nl, cached, and the page's cache protocol).
- ``models``, ``lookups`` (query helpers), ``matching`` (the one request-to-employer rule),
  ``identifiers`` (KvK number and loonheffingennummer), ``task_names``.
"""
