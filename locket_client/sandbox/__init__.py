"""The Loket.nl sandbox: a standalone SOAP 1.1 server implementing "Loket.nl webservice v1".

Used by the tests, the benchmarks and local demos (``manage.py loket_sandbox``); it imports no
Django, so a plain script can start it::

    with start_sandbox(port=0, traag_delay=1.0) as server:
        ...  # talk to server.url / server.wsdl_url
"""

from __future__ import annotations

from locket_client.sandbox.server import SandboxServer, serve_forever, start_sandbox

__all__ = ["SandboxServer", "serve_forever", "start_sandbox"]
