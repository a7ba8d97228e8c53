"""The sandbox's webservice: a parsed request dispatched to the data in the contract's order.

:meth:`LoketService.handle` takes SOAP request bytes and returns SOAP response bytes or raises
:class:`~locket_client.sandbox.contract.SandboxFault`; the HTTP layer around it is
:mod:`locket_client.sandbox.server`. The order of checks is the contract's order of precedence:
structure, omgevingscode (``STORING``, ``TRAAG``), login, kind of user, blocked, authorisation,
parameters, visibility through the team.

Corrected periods (:class:`~locket_client.sandbox.model.Correction`; in the fixed data: ws-groot
werkgever 3's most recent closed month) are answered with values A the first time per data set
and process, and with values B from then on; :func:`reset_corrections` forgets what was served,
so that the next answer is a first one again (tests call it before relying on values A).

No Django imports: a benchmark script starts the sandbox without settings.
"""

from __future__ import annotations

import datetime
import hmac
import threading
from collections.abc import Iterable

from locket_client.sandbox.contract import (
    MESSAGE_GEBRUIKER_GEBLOKKEERD,
    MESSAGE_GEEN_WEBSERVICEGEBRUIKER,
    MESSAGE_INLOG_ONGELDIG,
    MESSAGE_NIET_GEAUTORISEERD,
    MESSAGE_OMGEVING_ONBEKEND,
    MESSAGE_STORING,
    OPERATIONS,
    Operation,
    SandboxFault,
)
from locket_client.sandbox.fixtures import sandbox_data
from locket_client.sandbox.model import DataSet, Loongegevens, User
from locket_client.sandbox.serialisation import (
    answer_xml,
    dienstverband_xml,
    element,
    loongegevens_xml,
    parse_parameters,
    parse_request,
    verlof_xml,
    werkgever_xml,
    werknemer_xml,
)

__all__ = ["LoketService", "reset_corrections"]

# The corrected periods served so far in this process, as (data set, werkgever, jaar, periode):
# per process rather than per server, so that a test can reset it without reaching the server.
_served_corrections: set[tuple[str, str, int, int]] = set()
_served_corrections_lock = threading.Lock()


def reset_corrections() -> None:
    """Forget which corrected periods were served: each one answers with values A once more."""
    with _served_corrections_lock:
        _served_corrections.clear()


def _served_before(key: tuple[str, str, int, int]) -> bool:
    """Whether the corrected period was served before; marks it served either way."""
    with _served_corrections_lock:
        if key in _served_corrections:
            return True
        _served_corrections.add(key)
        return False


class LoketService:
    """The webservice behind the HTTP layer: from request bytes to response bytes.

    Separate from the handler so that the contract logic reads top to bottom in :meth:`handle`,
    in the contract's order of checks. ``slow_delay`` is how long the ``TRAAG`` environment
    waits; setting ``stopping`` releases the requests waiting in it.
    """

    def __init__(self, *, slow_delay: float, stopping: threading.Event) -> None:
        self.slow_delay = slow_delay
        self._stopping = stopping
        # Serialized GeefWerkgevers answers per (data set, user): the data is fixed, and ws-groot's
        # 10,000 werkgevers are the benchmark's hot path. Plain dict: a race only builds twice.
        self._werkgevers_cache: dict[tuple[str, str], bytes] = {}

    def handle(self, body: bytes, soap_action: str | None) -> bytes:
        """Answer one SOAP request or raise :class:`SandboxFault`, in the contract's order."""
        request = parse_request(body, soap_action)
        environment = sandbox_data().environments.get(request.omgevingscode)
        if environment is None:
            raise SandboxFault("OMGEVING_ONBEKEND", MESSAGE_OMGEVING_ONBEKEND)
        if environment.behaviour == "down":
            raise SandboxFault("STORING", MESSAGE_STORING)
        if environment.behaviour == "slow":
            # An Event instead of time.sleep, so that stopping the server releases slow requests.
            self._stopping.wait(self.slow_delay)
        data = environment.data
        user = self._log_in(data, request.gebruikersnaam, request.wachtwoord)
        operation = OPERATIONS[request.operation]
        if not self._authorised(user, operation):
            raise SandboxFault(
                "NIET_GEAUTORISEERD",
                MESSAGE_NIET_GEAUTORISEERD.format(
                    function=operation.function, entity=operation.entity
                ),
            )
        parameters = parse_parameters(request.element, operation)
        match request.operation:
            case "ControleerToegang":
                return self._controleer_toegang(user)
            case "GeefWerkgevers":
                return self._geef_werkgevers(data, user)
            case "GeefWerknemers":
                return self._geef_werknemers(data, user, **parameters)
            case "GeefDienstverbanden":
                return self._geef_dienstverbanden(data, user, **parameters)
            case "GeefLoongegevens":
                return self._geef_loongegevens(data, user, **parameters)
            case "GeefVerlof":
                return self._geef_verlof(data, user, **parameters)
        raise AssertionError(request.operation)  # pragma: no cover - OPERATIONS is exhaustive

    @staticmethod
    def _authorised(user: User, operation: Operation) -> bool:
        """Whether the user's webservicepartij has the operation's function *and* entity.

        ControleerToegang checks neither: any valid webservicegebruiker may call it.
        """
        if operation.function is None or operation.entity is None:
            return True
        return operation.function in user.functions and operation.entity in user.entities

    @staticmethod
    def _log_in(data: DataSet, username: str, password: str) -> User:
        """Authenticate, then check the kind of user and whether it is blocked (in that order).

        An unknown user and a wrong password give the same fault, and both still compare a
        password in constant time, so neither the answer nor its timing tells which it was.
        """
        user = data.users.get(username)
        expected = user.password if user is not None else "\x00unknown-user"
        password_matches = hmac.compare_digest(password.encode(), expected.encode())
        if user is None or not password_matches:
            raise SandboxFault("INLOG_ONGELDIG", MESSAGE_INLOG_ONGELDIG)
        if not user.is_webservicegebruiker:
            raise SandboxFault("GEEN_WEBSERVICEGEBRUIKER", MESSAGE_GEEN_WEBSERVICEGEBRUIKER)
        if user.blocked:
            raise SandboxFault("GEBRUIKER_GEBLOKKEERD", MESSAGE_GEBRUIKER_GEBLOKKEERD)
        return user

    @staticmethod
    def _visible_werkgever(data: DataSet, user: User, werkgever_id: str) -> str:
        """The werkgever's id if the user sees it through a team; otherwise ``NIET_GEVONDEN``.

        Existing-but-unlinked and non-existent werkgevers give the same answer, so the fault
        reveals nothing about other offices' werkgevers.
        """
        if werkgever_id not in user.team or werkgever_id not in data.werkgevers_by_id:
            raise SandboxFault("NIET_GEVONDEN", "De werkgever is niet gevonden")
        return werkgever_id

    # --- one method per operation, named after it; keyword arguments are the contract's elements

    @staticmethod
    def _controleer_toegang(user: User) -> bytes:
        return answer_xml(
            "ControleerToegang",
            (
                element("Gebruikersnaam", user.username),
                element("Webservicepartij", user.webservicepartij),
                *(element("Functie", function) for function in user.functions),
                *(element("Entiteit", entity) for entity in user.entities),
            ),
        )

    def _geef_werkgevers(self, data: DataSet, user: User) -> bytes:
        # Peildatum is validated but does not filter: every sandbox werkgever is active.
        key = (data.key, user.username)
        answer = self._werkgevers_cache.get(key)
        if answer is None:
            answer = answer_xml(
                "GeefWerkgevers",
                (
                    werkgever_xml(werkgever)
                    for werkgever in data.werkgevers
                    if werkgever.werkgever_id in user.team
                ),
            )
            self._werkgevers_cache[key] = answer
        return answer

    def _geef_werknemers(
        self,
        data: DataSet,
        user: User,
        *,
        WerkgeverId: str,  # noqa: N803 - named after the contract element
        Peildatum: datetime.date | None = None,  # noqa: N803
    ) -> bytes:
        werkgever_id = self._visible_werkgever(data, user, WerkgeverId)
        werknemers = data.werknemers_by_werkgever.get(werkgever_id, ())
        if Peildatum is not None:
            active = {
                d.werknemer_id
                for d in data.dienstverbanden_by_werkgever.get(werkgever_id, ())
                if d.active_on(Peildatum)
            }
            werknemers = tuple(w for w in werknemers if w.werknemer_id in active)
        return answer_xml("GeefWerknemers", map(werknemer_xml, werknemers))

    def _geef_dienstverbanden(
        self,
        data: DataSet,
        user: User,
        *,
        WerkgeverId: str,  # noqa: N803 - named after the contract element
        WerknemerId: str | None = None,  # noqa: N803
    ) -> bytes:
        werkgever_id = self._visible_werkgever(data, user, WerkgeverId)
        dienstverbanden = data.dienstverbanden_by_werkgever.get(werkgever_id, ())
        if WerknemerId is not None:
            werknemers = data.werknemers_by_werkgever.get(werkgever_id, ())
            if all(w.werknemer_id != WerknemerId for w in werknemers):
                raise SandboxFault("NIET_GEVONDEN", "De werknemer is niet gevonden")
            dienstverbanden = tuple(d for d in dienstverbanden if d.werknemer_id == WerknemerId)
        return answer_xml("GeefDienstverbanden", map(dienstverband_xml, dienstverbanden))

    def _geef_loongegevens(
        self,
        data: DataSet,
        user: User,
        *,
        WerkgeverId: str,  # noqa: N803 - named after the contract element
        Jaar: int,  # noqa: N803
        Periode: int | None = None,  # noqa: N803
    ) -> bytes:
        werkgever_id = self._visible_werkgever(data, user, WerkgeverId)
        loongegevens: Iterable[Loongegevens] = (
            lg
            for lg in data.loongegevens_by_werkgever.get(werkgever_id, ())
            if lg.jaar == Jaar and (Periode is None or lg.periode == Periode)
        )
        correction = data.corrections.get(werkgever_id)
        if correction is not None and correction.covers(Jaar, Periode):
            key = (data.key, werkgever_id, correction.jaar, correction.periode)
            if _served_before(key):
                loongegevens = correction.apply(loongegevens)
        return answer_xml("GeefLoongegevens", map(loongegevens_xml, loongegevens))

    def _geef_verlof(
        self,
        data: DataSet,
        user: User,
        *,
        WerkgeverId: str,  # noqa: N803 - named after the contract element
        Jaar: int,  # noqa: N803
    ) -> bytes:
        werkgever_id = self._visible_werkgever(data, user, WerkgeverId)
        verlof = (v for v in data.verlof_by_werkgever.get(werkgever_id, ()) if v.jaar == Jaar)
        return answer_xml("GeefVerlof", map(verlof_xml, verlof))
