"""The Loket.nl boundary: everything that knows the SOAP contract lives in this package.

The rest of the portal uses :func:`get_client`, :func:`diagnose`, :class:`Credentials`, the
dataclasses of :mod:`locket_client.types` and the errors of :mod:`locket_client.errors`.
Importing this package is cheap: the zeep client is built on first use.
"""
