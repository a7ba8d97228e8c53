"""The Loket.nl sandbox: a standalone SOAP 1.1 server implementing "Loket.nl webservice v1".

Used by the tests, the benchmarks and local demos (``manage.py loket_sandbox``); it imports no
Django, so a plain script can start it::

    with start_sandbox(port=0, slow_delay=1.0) as server:
        ...  # talk to server.url / server.wsdl_url

``reset_corrections()`` makes the corrected period answer with its first values again (tests).

What lives where (each module depends only on the ones above it):

- :mod:`~locket_client.sandbox.contract`: the contract as data: namespaces, the operations with
  their parameters, limits and required function/entity, the fault codes and their (Dutch)
  messages, and :class:`~locket_client.sandbox.contract.SandboxFault`.
- :mod:`~locket_client.sandbox.model`: the shapes of the data: the contract's records
  (``Werkgever``, ``Werknemer``, ``Dienstverband``, ``Loongegevens``, ``Verlof``) and the users,
  data sets and environments holding them.
- :mod:`~locket_client.sandbox.staff`: the pay and leave rules, and the werknemers,
  dienstverbanden, loongegevens and verlof of the 10,000 ``ws-groot`` werkgevers, generated per
  werkgever on first access (1 to 500 werknemers each, about 20,000 dienstverbanden per 1,000
  werkgevers, hires and leavers; werkgever 7 is paid four-weekly; werkgever 3's most recent
  closed month is corrected after its first answer: :func:`reset_corrections` resets that).
- :mod:`~locket_client.sandbox.fixtures`: the fixed demo data: ``DEMO001`` and its users, E1-E4,
  the 10,000 generated werkgevers of ``ws-groot`` (their staff from ``staff``), the werknemers,
  dienstverbanden, loongegevens and verlof of E1-E3, and the ``TRAAG``/``STORING`` environments
  (:func:`sandbox_data`).
- :mod:`~locket_client.sandbox.serialisation`: safe XML parsing of requests (no DTD, no entities),
  their structural checks, and the answers and SOAP faults as bytes.
- :mod:`~locket_client.sandbox.service`: :class:`~locket_client.sandbox.service.LoketService`,
  dispatching a parsed request to the data in the contract's order of checks.
- :mod:`~locket_client.sandbox.server`: the HTTP server (``POST /loket/soap``, ``GET ?wsdl``,
  keep-alive, body limit) and its lifecycle (:func:`start_sandbox`, :func:`serve_forever`).
"""

from __future__ import annotations

from locket_client.sandbox.server import SandboxServer, serve_forever, start_sandbox
from locket_client.sandbox.service import reset_corrections

__all__ = ["SandboxServer", "reset_corrections", "serve_forever", "start_sandbox"]
