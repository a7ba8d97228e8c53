"""Where a webhook may go: the rules for a subscriber's URL, the address check against SSRF, and
a requests adapter that connects to the very address that was checked.

A URL is resolved once, just before the POST; *every* address the name resolves to must be public
(a name that also resolves to 10.0.0.1 is refused as a whole), and the connection is then made to
that checked address: no second DNS look-up that a rebinding name could answer differently. For
https the TLS handshake still names the host (SNI) and the certificate is checked against it.
IPv4-mapped IPv6 addresses (``::ffff:127.0.0.1``) are judged by the IPv4 address inside.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection

from webhooks.models import AttemptError

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


class TargetRefused(Exception):
    """The URL may not be posted to; ``code`` is an :class:`AttemptError`, ``detail`` short."""

    def __init__(self, code: str, detail: str) -> None:
        super().__init__(f"{code}: {detail}")
        self.code = code
        self.detail = detail


@dataclass(frozen=True)
class Target:
    scheme: str
    hostname: str
    port: int
    address: str  # the checked IP address the connection goes to

    @property
    def host_header(self) -> str:
        default = 443 if self.scheme == "https" else 80
        host = f"[{self.hostname}]" if ":" in self.hostname else self.hostname
        return host if self.port == default else f"{host}:{self.port}"


def address_refused(ip: IPAddress) -> bool:
    """Whether ``ip`` is anything but a public unicast address: private, loopback, link-local
    (cloud metadata at 169.254.169.254), multicast, reserved, unspecified, shared (100.64/10),
    or an IPv6 address carrying one of those (IPv4-mapped, 6to4)."""
    if isinstance(ip, ipaddress.IPv6Address):
        inner = ip.ipv4_mapped or ip.sixtofour
        if inner is not None and address_refused(inner):
            return True
    return (
        not ip.is_global
        or ip.is_private
        or ip.is_loopback
        or ip.is_link_local
        or ip.is_multicast
        or ip.is_reserved
        or ip.is_unspecified
    )


@dataclass(frozen=True)
class ParsedURL:
    scheme: str
    hostname: str
    port: int


def parse_url(url: str, *, allow_private: bool) -> ParsedURL:
    """The URL's parts, or :class:`TargetRefused` for what is never allowed: another scheme than
    https (http too with ``allow_private``), a user or password in the URL, no host."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise TargetRefused(AttemptError.INSECURE_URL, "invalid URL") from None
    allowed = ("https", "http") if allow_private else ("https",)
    if parts.scheme not in allowed:
        raise TargetRefused(AttemptError.INSECURE_URL, f"scheme {parts.scheme or '-'}")
    if parts.username is not None or parts.password is not None:
        raise TargetRefused(AttemptError.INSECURE_URL, "credentials in URL")
    if not parts.hostname:
        raise TargetRefused(AttemptError.INSECURE_URL, "no host")
    return ParsedURL(
        scheme=parts.scheme,
        hostname=parts.hostname,
        port=port or (443 if parts.scheme == "https" else 80),
    )


def resolve(url: str, *, allow_private: bool) -> Target:
    """Resolve the URL's host now and check its addresses; the :class:`Target` to connect to."""
    parsed = parse_url(url, allow_private=allow_private)
    try:
        infos = socket.getaddrinfo(parsed.hostname, parsed.port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError):
        raise TargetRefused(AttemptError.DNS, parsed.hostname[:100]) from None
    addresses: list[IPAddress] = []
    for info in infos:
        ip = ipaddress.ip_address(str(info[4][0]).split("%", 1)[0])
        if ip not in addresses:
            addresses.append(ip)
    if not addresses:
        raise TargetRefused(AttemptError.DNS, parsed.hostname[:100])
    if not allow_private:
        refused = [ip for ip in addresses if address_refused(ip)]
        if refused:
            raise TargetRefused(AttemptError.REFUSED_ADDRESS, str(refused[0]))
    return Target(
        scheme=parsed.scheme,
        hostname=parsed.hostname,
        port=parsed.port,
        address=str(addresses[0]),
    )


Watch = Callable[[socket.socket], None]


class _WatchedHTTPConnection(HTTPConnection):
    """Hands each socket it opens to ``watch`` (before a TLS handshake, which is watched too)."""

    def __init__(self, *args: Any, watch: Watch, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._watch = watch

    def _new_conn(self) -> socket.socket:
        sock = super()._new_conn()
        self._watch(sock)
        return sock


class _WatchedHTTPSConnection(HTTPSConnection):
    def __init__(self, *args: Any, watch: Watch, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._watch = watch

    def _new_conn(self) -> socket.socket:
        sock = super()._new_conn()
        self._watch(sock)
        return sock


class PinnedAdapter(HTTPAdapter):
    """Connects to ``target.address`` whatever the URL's host resolves to now, with SNI and
    certificate checks for ``target.hostname``. No retries: the outbox retries. ``watch``, if
    given, is handed every socket opened (the sender's deadline shuts it down)."""

    def __init__(self, target: Target, *, watch: Watch | None = None) -> None:
        self._target = target
        self._watch = watch
        super().__init__(pool_connections=1, pool_maxsize=1, max_retries=0)

    def get_connection_with_tls_context(
        self,
        request: Any,
        verify: Any,
        proxies: Any = None,
        cert: Any = None,
    ) -> Any:
        host_params, pool_kwargs = self.build_connection_pool_key_attributes(request, verify, cert)
        if (host_params["host"] or "").lower() != self._target.hostname.lower():
            raise TargetRefused(AttemptError.INSECURE_URL, "host changed")
        host_params = {**host_params, "host": self._target.address}
        if host_params["scheme"] == "https":
            pool_kwargs = {
                **pool_kwargs,
                "server_hostname": self._target.hostname,
                "assert_hostname": self._target.hostname,
            }
        pool = self.poolmanager.connection_from_host(**host_params, pool_kwargs=pool_kwargs)
        if self._watch is not None:
            # The pool is this adapter's own (one per attempt); its connections report their
            # sockets. Not through pool_kwargs: those make urllib3's pool key, a fixed set.
            https = host_params["scheme"] == "https"
            pool.ConnectionCls = _WatchedHTTPSConnection if https else _WatchedHTTPConnection
            pool.conn_kw["watch"] = self._watch
        return pool
