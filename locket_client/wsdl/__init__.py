"""The shipped WSDL of "Loket.nl webservice v1" (shared/docs/loket-webservice.md).

:data:`WSDL_PATH` is the one place its location is written: the client's default, the sandbox's
``GET ?wsdl`` and the ``LOKET_WSDL`` setting's default all use it. Import-free apart from
:mod:`pathlib`, so ``config/settings.py`` can read it before Django is set up.
"""

from __future__ import annotations

from pathlib import Path

WSDL_PATH = Path(__file__).resolve().parent / "loket-webservice-v1.wsdl"

__all__ = ["WSDL_PATH"]
