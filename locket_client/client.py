"""The Loket.nl SOAP client: zeep on the outside, the project's dataclasses and errors inside.

Built lazily, once per process (``get_client()``), from the WSDL shipped in this package: building
never touches the network, and a Celery worker pays the WSDL parse once, not per task. The
transport bounds every call by ``LOKET_TIMEOUT`` (connect, each read, *and* the whole answer),
caps the answer's size, and logs no message bodies: the SOAP header carries the password.

zeep builds every request and reads ``ControleerToegang``; the answers of the bulk operations
(:data:`BULK_OPERATIONS`, up to 10,000 records and more) are read by
:mod:`locket_client.answers`, ten times faster, with the same checks and errors.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlparse

import requests
import zeep
import zeep.exceptions
from django.conf import settings
from django.views.decorators.debug import sensitive_variables
from lxml import etree
from zeep.transports import Transport

from locket_client.answers import (
    EMPLOYEE,
    EMPLOYER,
    EMPLOYMENT,
    LEAVE,
    NAMESPACE,
    WAGE,
    RecordType,
    collector_paused,
    fault_error,
    operation_response,
)
from locket_client.errors import (
    LoketError,
    LoketTimeout,
    LoketTransportError,
    UnexpectedAnswer,
)
from locket_client.types import (
    AccessInfo,
    Credentials,
    Employee,
    Employer,
    Employment,
    Leave,
    Wage,
)
from locket_client.wsdl import WSDL_PATH

logger = logging.getLogger(__name__)

BINDING = f"{{{NAMESPACE}}}LoketWebserviceBinding"
MAX_ANSWER_BYTES = 64 * 1024 * 1024
"""The largest answer we read (10,000 werkgevers take about 4 MB): a hostile or broken server
cannot make a worker swallow an endless body."""

BULK_OPERATIONS = (
    "GeefWerkgevers",
    "GeefWerknemers",
    "GeefDienstverbanden",
    "GeefLoongegevens",
    "GeefVerlof",
)
"""Read by :mod:`locket_client.answers` rather than by zeep (their answers can be large)."""

T = TypeVar("T")


class _BoundedTransport(Transport):
    """zeep transport with a whole-call deadline, a size cap, local-only loading, no body logs
    and no redirects.

    zeep's own ``Transport.post`` logs complete envelopes at DEBUG, password included; this one
    logs the address, status and size only.
    """

    def __init__(
        self, *, timeout: float, max_answer_bytes: int, session: requests.Session | None = None
    ) -> None:
        super().__init__(timeout=timeout, operation_timeout=timeout, session=session)
        self.max_answer_bytes = max_answer_bytes
        # Nothing but the endpoint is ever fetched: no file:// through the session either.
        self.session.adapters.pop("file://", None)
        self.session.headers["User-Agent"] = "asr-salariskoppeling/1"
        self.timeout = timeout

    def load(self, url: str) -> bytes:
        """Load WSDL/XSD documents from local files only (no network at build time)."""
        scheme = urlparse(url).scheme
        if scheme not in ("", "file"):
            raise LoketTransportError(f"refusing to fetch {scheme}:// while building the client")
        path = Path(urlparse(url).path if scheme == "file" else url).expanduser()
        return path.read_bytes()

    @sensitive_variables("message")  # the envelope: the password is in its header
    def post(self, address: str, message: bytes | str, headers: dict[str, str]) -> Any:
        deadline = time.monotonic() + self.timeout
        started = time.perf_counter()
        response = self.session.post(
            address,
            data=message,
            headers=headers,
            timeout=(self.timeout, self.timeout),
            stream=True,
            # A redirect would replay the envelope, password included, to wherever it points
            # (307/308 keep the body): a 3xx is an unexpected answer, never followed.
            allow_redirects=False,
        )
        try:
            declared = int(response.headers.get("Content-Length") or 0)
        except ValueError:
            declared = 0
        if declared > self.max_answer_bytes:
            response.close()
            raise UnexpectedAnswer(f"answer of {declared} bytes exceeds the limit")
        chunks: list[bytes] = []
        size = 0
        with response:
            # read1 returns whatever has arrived, so a server that drips its answer byte by byte
            # meets the deadline between reads instead of filling a 64 KiB buffer first.
            while chunk := response.raw.read1(64 * 1024, decode_content=True):
                size += len(chunk)
                if size > self.max_answer_bytes:
                    raise UnexpectedAnswer("answer exceeds the size limit")
                if time.monotonic() > deadline:
                    raise LoketTimeout(f"answer not complete within {self.timeout:g} s")
                chunks.append(chunk)
        if response.status_code != 200 and "xml" not in response.headers.get("Content-Type", ""):
            # Not a SOAP fault: a proxy's or server's error page.
            if response.status_code >= 500 or response.status_code in (408, 429):
                raise LoketTransportError(f"HTTP {response.status_code} without a SOAP answer")
            raise UnexpectedAnswer(f"HTTP {response.status_code} without a SOAP answer")
        response._content = b"".join(chunks)
        response._content_consumed = True
        logger.debug(
            "Loket.nl POST %s -> %s, %d bytes in %.1f ms",
            address,
            response.status_code,
            size,
            (time.perf_counter() - started) * 1000,
        )
        return response


class LoketClient:
    """One client per process and endpoint. All methods take the credentials of the call (they go
    in the ``Authenticatie`` SOAP header) and return the project's dataclasses."""

    def __init__(
        self,
        *,
        endpoint: str,
        timeout: float,
        wsdl: str | Path = WSDL_PATH,
        session: requests.Session | None = None,
        max_answer_bytes: int = MAX_ANSWER_BYTES,
    ) -> None:
        if timeout <= 0:
            raise ValueError("timeout must be positive")
        self.endpoint = endpoint
        self.timeout = timeout
        self._transport = _BoundedTransport(
            timeout=timeout, max_answer_bytes=max_answer_bytes, session=session
        )
        settings = zeep.Settings(
            strict=True,
            forbid_dtd=True,
            forbid_entities=True,
            forbid_external=True,
            xml_huge_tree=False,
        )
        self._zeep = zeep.Client(str(wsdl), transport=self._transport, settings=settings)
        self._service = self._zeep.create_service(BINDING, endpoint)
        self._header = self._zeep.get_element(f"{{{NAMESPACE}}}Authenticatie")
        # The HTTP headers zeep sends with each bulk operation (SOAP 1.1: the WSDL's soapAction).
        binding = self._zeep.wsdl.bindings[BINDING]
        self._http_headers = {
            operation: {
                "SOAPAction": f'"{binding.get(operation).soapaction}"',
                "Content-Type": "text/xml; charset=utf-8",
            }
            for operation in BULK_OPERATIONS
        }

    # --- operations ----------------------------------------------------------------------

    def check_access(self, credentials: Credentials) -> AccessInfo:
        """``ControleerToegang``: valid for any webservicegebruiker, whatever its rights."""
        answer = self._call("ControleerToegang", credentials)
        return AccessInfo(
            username=_text(answer, "Gebruikersnaam"),
            party=_text(answer, "Webservicepartij"),
            functions=frozenset(_list(answer, "Functie")),
            entities=frozenset(_list(answer, "Entiteit")),
        )

    def employers(
        self, credentials: Credentials, *, reference_date: date | None = None
    ) -> list[Employer]:
        """``GeefWerkgevers``: the werkgevers in the user's team(s); empty without a team."""
        return self._call_bulk("GeefWerkgevers", EMPLOYER, credentials, Peildatum=reference_date)

    def employees(
        self,
        credentials: Credentials,
        *,
        employer_id: str,
        reference_date: date | None = None,
    ) -> list[Employee]:
        return self._call_bulk(
            "GeefWerknemers",
            EMPLOYEE,
            credentials,
            WerkgeverId=employer_id,
            Peildatum=reference_date,
        )

    def employments(
        self, credentials: Credentials, *, employer_id: str, employee_id: str | None = None
    ) -> list[Employment]:
        return self._call_bulk(
            "GeefDienstverbanden",
            EMPLOYMENT,
            credentials,
            WerkgeverId=employer_id,
            WerknemerId=employee_id,
        )

    def wages(
        self, credentials: Credentials, *, employer_id: str, year: int, period: int | None = None
    ) -> list[Wage]:
        return self._call_bulk(
            "GeefLoongegevens",
            WAGE,
            credentials,
            WerkgeverId=employer_id,
            Jaar=year,
            Periode=period,
        )

    def leave(self, credentials: Credentials, *, employer_id: str, year: int) -> list[Leave]:
        return self._call_bulk("GeefVerlof", LEAVE, credentials, WerkgeverId=employer_id, Jaar=year)

    # --- plumbing --------------------------------------------------------------------------

    @sensitive_variables("credentials")
    def _authenticatie(self, credentials: Credentials) -> Any:
        return self._header(
            Omgevingscode=credentials.omgevingscode,
            Gebruikersnaam=credentials.gebruikersnaam,
            Wachtwoord=credentials.wachtwoord,
        )

    @sensitive_variables("header", "credentials")
    def _call(self, operation: str, credentials: Credentials, **arguments: Any) -> Any:
        """A call zeep makes and reads (``ControleerToegang``)."""
        method: Callable[..., Any] = getattr(self._service, operation)
        with self._errors(operation):
            header = self._authenticatie(credentials)
            return method(_soapheaders=[header], **arguments)

    @sensitive_variables("header", "credentials", "envelope")
    def _call_bulk(
        self, operation: str, records: RecordType[T], credentials: Credentials, **arguments: Any
    ) -> list[T]:
        """A bulk call: zeep builds the request from the WSDL, the same bounded transport posts
        it, and :mod:`locket_client.answers` reads the answer (10x faster than zeep for 10,000
        records, with the same checks and the same errors)."""
        with self._errors(operation):
            header = self._authenticatie(credentials)
            envelope = self._zeep.create_message(
                self._service, operation, _soapheaders=[header], **arguments
            )
            response = self._transport.post_xml(
                self.endpoint, envelope, self._http_headers[operation]
            )
            with collector_paused():
                return records.read(operation_response(response, operation), operation)

    @contextmanager
    def _errors(self, operation: str) -> Iterator[None]:
        """Every failure of a call as the project's typed error."""
        try:
            yield
        except zeep.exceptions.Fault as fault:
            raise _fault_to_error(fault) from None
        except requests.Timeout:
            raise LoketTimeout(f"{operation}: no answer within {self.timeout:g} s") from None
        except requests.RequestException as exc:
            # ConnectionError wraps urllib3's read timeouts raised while streaming the body.
            if "timed out" in str(exc).lower():
                raise LoketTimeout(f"{operation}: no answer within {self.timeout:g} s") from None
            raise LoketTransportError(f"{operation}: {type(exc).__name__}") from None
        except zeep.exceptions.TransportError as exc:
            if exc.status_code >= 500 or exc.status_code in (408, 429):
                raise LoketTransportError(f"{operation}: HTTP {exc.status_code}") from None
            raise UnexpectedAnswer(f"{operation}: HTTP {exc.status_code}") from None
        except LoketError:
            raise
        except (zeep.exceptions.Error, etree.LxmlError, ValueError, TypeError) as exc:
            # zeep's DTDForbidden/EntitiesForbidden/XMLSyntaxError/ValidationError, and the
            # values it could not make sense of. The type name is enough to diagnose; the text
            # could quote the answer, which we do not trust.
            raise UnexpectedAnswer(f"{operation}: {type(exc).__name__}") from None


def _fault_to_error(fault: zeep.exceptions.Fault) -> LoketError:
    # (zeep hands over the raw bytes of an answer that was not a SOAP envelope at all.)
    detail = fault.detail if isinstance(fault.detail, etree._Element) else None
    return fault_error(detail, fault.message)


def _list(answer: Any, name: str) -> list[Any]:
    """zeep unwraps a response with one child to that child's value; tolerate both shapes."""
    if answer is None:
        return []
    if isinstance(answer, list):
        return answer
    value = answer[name] if name in answer else None  # noqa: SIM401 - zeep objects have no get()
    if value is None:
        return []
    return list(value) if isinstance(value, list) else [value]


def _text(answer: Any, name: str) -> str:
    value = answer[name]
    if value is None:
        raise UnexpectedAnswer(f"{name} missing from the answer")
    return str(value)


_clients: dict[tuple[int, str, str, float], LoketClient] = {}
_clients_lock = threading.Lock()


def get_client() -> LoketClient:
    """The process's client for the configured endpoint, built on first use.

    Keyed by process id too: a client (and its pooled sockets) built before a fork must not be
    shared by the forked Celery or gunicorn workers.
    """
    key = (os.getpid(), settings.LOKET_WSDL, settings.LOKET_ENDPOINT, settings.LOKET_TIMEOUT)
    client = _clients.get(key)
    if client is None:
        with _clients_lock:
            client = _clients.get(key)
            if client is None:
                client = LoketClient(
                    wsdl=settings.LOKET_WSDL,
                    endpoint=settings.LOKET_ENDPOINT,
                    timeout=settings.LOKET_TIMEOUT,
                )
                _clients.clear()
                _clients[key] = client
    return client
