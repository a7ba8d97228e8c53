"""Settings of the test suite: the embedded default (``DEBUG=on``, development keys) unless the
environment says otherwise.

``DEBUG`` defaults to off in :mod:`config.settings`; the tests run on the embedded default, as
``make run`` does, so this module switches it on before those settings are read. It sets the
variable in ``os.environ`` so that processes the tests start (workers, ``manage.py``) get the
same. pytest-django's own override still runs the tests themselves with ``settings.DEBUG``
False.
"""

from __future__ import annotations

import os

os.environ.setdefault("DEBUG", "on")

from config.settings import *  # noqa: F403
