"""Leaf helpers shared by the apps. Nothing here imports an app of the portal.

- :mod:`common.dispatch`: hand work to Celery after commit, by a task's registered name, so that
  no service imports a task module.
- :mod:`common.mail`: build and send the portal's e-mails (subject, text and HTML from templates,
  one SMTP connection for many mails).
- :mod:`common.forms`: the single-line text rule (NUL, line breaks, control characters) and its
  form fields, with the same messages on every form.
- :mod:`common.perf`: pausing the garbage collector while a page builds 10,000 rows.
"""
