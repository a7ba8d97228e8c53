"""The processor side's pages, split by who may see them:

- :mod:`.public`: registration form, status page (by its unguessable link), directory.
- :mod:`.account`: the processor's own account (activation, login, dashboard, new details).
- :mod:`.pages`: the home page and the health check.
"""
