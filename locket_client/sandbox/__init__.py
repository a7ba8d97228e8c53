"""The built-in Loket.nl sandbox: a real HTTP SOAP server speaking the contract with fixed data."""

from __future__ import annotations

from locket_client.sandbox.server import SandboxServer, serve_forever, start_sandbox

__all__ = ["SandboxServer", "serve_forever", "start_sandbox"]
