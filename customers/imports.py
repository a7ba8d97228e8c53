"""Import a.s.r.'s customer register from a CSV file: one row per policy.

The file: UTF-8 (with or without a byte-order mark), cells separated by ``;`` or ``,``, the first
line exactly ``kvk_nummer;naam;polisnummer;email``. Customers are keyed by their KvK number (their
name follows the rows), policies by their number (their customer and contact address follow the
rows). Policies that are not in the file stay as they are.

All or nothing: the whole import is one transaction. A file with a wrong header, another encoding
than UTF-8, a line that cannot be read, a refused row or a policy number that occurs twice changes
nothing; the report says why, with line numbers.

Streamed: the file is read a line at a time (``readline`` with a limit, so neither a file without
line breaks nor a huge file is ever held whole) and written in batches of :data:`BATCH_SIZE` rows,
each with one query for the customers and one for the policies it names, and one insert or update
per table of what is new or changed (on PostgreSQL on the columns as arrays, elsewhere through
the ORM's bulk methods). A re-import of the same file writes nothing. Duplicates across
the whole file are found in a temporary table of the policy numbers (and KvK numbers) seen so
far, in the database, not in Python: memory stays flat however long the file.
"""

from __future__ import annotations

import codecs
import csv
import logging
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, BinaryIO, Protocol

from django.core.exceptions import ValidationError
from django.core.validators import EmailValidator
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from common.text import forbidden_character
from customers.identifiers import normalise_kvk, normalise_policy_number
from customers.models import Customer, Policy

logger = logging.getLogger(__name__)

HEADER = ("kvk_nummer", "naam", "polisnummer", "email")
DELIMITERS = (";", ",")
BATCH_SIZE = 2000
MAX_LINE_BYTES = 4096  # a register row is well under 600 bytes
MAX_REFUSALS_KEPT = 1000  # listed in the report; the rest are counted
NAME_MAX = Customer._meta.get_field("name").max_length
EMAIL_MAX = Policy._meta.get_field("contact_email").max_length
SHOWN_MAX = 60  # characters of a refused value quoted in a reason
# Serialises imports on PostgreSQL (two at once would race on new KvK and policy numbers).
_LOCK_KEY = 0x6B6C616E74656E  # "klanten"

_email_validator = EmailValidator()


class ReadableLines(Protocol):
    def readline(self, size: int = ..., /) -> bytes: ...


@dataclass(frozen=True, slots=True)
class RefusedRow:
    line: int
    reason: str


@dataclass
class ImportReport:
    """What an import did. ``applied`` is False when anything was refused: then nothing changed
    and the counts of added, changed and unchanged rows are 0."""

    rows: int = 0  # data rows read (blank lines not counted)
    added: int = 0
    changed: int = 0
    unchanged: int = 0
    customers_added: int = 0
    customers_changed: int = 0
    refused_count: int = 0
    refused: list[RefusedRow] = field(default_factory=list)  # the first MAX_REFUSALS_KEPT
    file_error: str = ""  # why the whole file was refused (header, encoding, ...)
    file_error_line: int | None = None

    @property
    def applied(self) -> bool:
        return not self.file_error and not self.refused_count

    @property
    def refused_not_listed(self) -> int:
        return self.refused_count - len(self.refused)

    def refuse(self, line: int, reason: str) -> None:
        self.refused_count += 1
        if len(self.refused) < MAX_REFUSALS_KEPT:
            self.refused.append(RefusedRow(line=line, reason=reason))


class FileRefused(Exception):
    """The file as a whole cannot be imported (rolls the transaction back)."""

    def __init__(self, message: str, line: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.line = line


@dataclass(frozen=True, slots=True)
class _Row:
    line: int
    kvk: str
    name: str
    policy: str
    email: str


def import_customers(file: ReadableLines | BinaryIO, *, actor_label: str = "") -> ImportReport:
    """Import the register from ``file`` (opened in binary mode: a file, an upload); see the
    module's docstring. Never raises for a bad file: the report says what was wrong."""
    report = ImportReport()
    try:
        with transaction.atomic():
            _lock()
            seen = _SeenTables()
            seen.create()
            _read(file, report, seen)
            seen.drop()
            if not report.applied:
                transaction.set_rollback(True)
    except FileRefused as refused:
        report.file_error = refused.message
        report.file_error_line = refused.line
    if not report.applied:
        report.added = report.changed = report.unchanged = 0
        report.customers_added = report.customers_changed = 0
    logger.info(
        "Klantregister-import%s: %s rijen, %s toegevoegd, %s gewijzigd, %s ongewijzigd, "
        "%s geweigerd%s",
        f" door {actor_label}" if actor_label else "",
        report.rows,
        report.added,
        report.changed,
        report.unchanged,
        report.refused_count,
        "" if report.applied else "; niets gewijzigd",
    )
    return report


def report_lines(report: ImportReport) -> list[str]:
    """The report as lines of text in the active language (the command prints them)."""
    lines = []
    if report.file_error:
        if report.file_error_line is not None:
            lines.append(
                _("Bestand geweigerd (regel %(line)d): %(reason)s")
                % {"line": report.file_error_line, "reason": report.file_error}
            )
        else:
            lines.append(_("Bestand geweigerd: %(reason)s") % {"reason": report.file_error})
    elif report.refused_count:
        lines.append(
            _("Gelezen rijen: %(rows)d; geweigerd: %(refused)d.")
            % {"rows": report.rows, "refused": report.refused_count}
        )
        lines.extend(
            _("  regel %(line)d: %(reason)s") % {"line": row.line, "reason": row.reason}
            for row in report.refused
        )
        if report.refused_not_listed:
            lines.append(
                _("  en nog %(count)d geweigerde rijen (niet getoond).")
                % {"count": report.refused_not_listed}
            )
    if not report.applied:
        lines.append(_("Er is niets gewijzigd: het klantregister is zoals het was."))
        return lines
    lines.append(
        _(
            "Klantregister geïmporteerd. Gelezen rijen: %(rows)d; toegevoegd: %(added)d; "
            "gewijzigd: %(changed)d; ongewijzigd: %(unchanged)d; geweigerd: 0."
        )
        % {
            "rows": report.rows,
            "added": report.added,
            "changed": report.changed,
            "unchanged": report.unchanged,
        }
    )
    lines.append(
        _("Klanten: %(added)d nieuw, %(changed)d met een nieuwe naam.")
        % {"added": report.customers_added, "changed": report.customers_changed}
    )
    return lines


# --- reading -----------------------------------------------------------------------------------


def _lines(file: ReadableLines | BinaryIO) -> Iterator[str]:
    """The file's lines, decoded, one at a time. Refuses the file (with the line number) at the
    first line that is too long, holds a NUL byte or is not UTF-8."""
    number = 0
    while True:
        raw = file.readline(MAX_LINE_BYTES + 1)
        if not raw:
            return
        number += 1
        if len(raw) > MAX_LINE_BYTES:
            raise FileRefused(
                _(
                    "Deze regel is langer dan %(limit)d bytes. Is dit wel een CSV-bestand met "
                    "het klantregister?"
                )
                % {"limit": MAX_LINE_BYTES},
                number,
            )
        if number == 1:
            if raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
                raise FileRefused(_utf16_message())
            raw = raw.removeprefix(codecs.BOM_UTF8)
        if b"\x00" in raw:
            raise FileRefused(
                _(
                    "Het bestand bevat NUL-tekens: het is geen tekstbestand in UTF-8 (misschien "
                    "UTF-16 of een ander bestandstype). Sla het op als CSV UTF-8."
                ),
                number,
            )
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            raise FileRefused(
                _(
                    "Deze regel is geen geldige UTF-8 (misschien is het bestand opgeslagen als "
                    "Latin-1 of Windows-1252). Sla het bestand op als CSV UTF-8 en probeer het "
                    "opnieuw."
                ),
                number,
            ) from None
        yield text


def _utf16_message() -> str:
    return _(
        "Het bestand is in UTF-16 opgeslagen (Unicode-tekst). Sla het op als CSV UTF-8 en "
        "probeer het opnieuw."
    )


def _delimiter(header_line: str) -> str:
    """``;`` or ``,``, the one the header uses; refuses any other header."""
    text = header_line.rstrip("\r\n")
    for delimiter in DELIMITERS:
        cells = next(csv.reader([text], delimiter=delimiter), [])
        if tuple(cell.strip() for cell in cells) == HEADER:
            return delimiter
    raise FileRefused(
        _(
            "De eerste regel moet precies %(expected)s zijn (kolommen gescheiden door ; of ,); "
            "er staat: %(found)s"
        )
        % {
            "expected": ";".join(HEADER),
            "found": _shown(text) if text.strip() else _("(een lege regel)"),
        },
        1,
    )


def _read(file: ReadableLines | BinaryIO, report: ImportReport, seen: _SeenTables) -> None:
    lines = _lines(file)
    header = next(lines, None)
    if header is None:
        raise FileRefused(_("Het bestand is leeg."))
    reader = csv.reader(lines, delimiter=_delimiter(header), strict=True)
    batch: list[_Row] = []
    while True:
        line = reader.line_num + 2  # the header is line 1; a row may span lines (quotes)
        try:
            cells = next(reader)
        except StopIteration:
            break
        except csv.Error:
            raise FileRefused(
                _(
                    'Deze regel is geen geldige CSV: kijk of de aanhalingstekens (") kloppen '
                    '(een cel die met " begint, moet ermee eindigen).'
                ),
                line,
            ) from None
        if not any(cell.strip() for cell in cells):
            continue  # a blank line
        report.rows += 1
        row = _parse(cells, line)
        if isinstance(row, str):
            report.refuse(line, row)
            continue
        batch.append(row)
        if len(batch) >= BATCH_SIZE:
            _write(batch, report, seen)
            batch = []
    if batch:
        _write(batch, report, seen)


def _shown(value: str) -> str:
    """A value quoted in a message: invisible characters as ``?``, at most SHOWN_MAX long."""
    visible = "".join("?" if forbidden_character(char) else char for char in value[: SHOWN_MAX + 1])
    if len(visible) > SHOWN_MAX:
        visible = visible[:SHOWN_MAX] + "…"
    return f"“{visible}”"


def _parse(cells: list[str], line: int) -> _Row | str:
    """The row, normalised, or why it is refused."""
    if len(cells) != len(HEADER):
        return _("Deze rij heeft %(count)d kolommen in plaats van 4 (%(header)s).") % {
            "count": len(cells),
            "header": ", ".join(HEADER),
        }
    kvk, name, policy, email = (cell.strip() for cell in cells)
    problems = []
    try:
        kvk = normalise_kvk(kvk)
    except ValidationError:
        problems.append(
            _("KvK-nummer %(value)s bestaat niet uit precies 8 cijfers.") % {"value": _shown(kvk)}
        )
    if not name:
        problems.append(_("De naam ontbreekt."))
    elif not _single_line(name):
        problems.append(
            _("De naam bevat een regeleinde of een onzichtbaar teken (bijvoorbeeld een tab).")
        )
    elif len(name) > NAME_MAX:
        problems.append(_("De naam is langer dan %(max)d tekens.") % {"max": NAME_MAX})
    try:
        policy = normalise_policy_number(policy)
    except ValidationError:
        problems.append(
            _("Polisnummer %(value)s is ongeldig: 4 tot 20 letters, cijfers of streepjes.")
            % {"value": _shown(policy)}
        )
    if not email:
        problems.append(_("Het e-mailadres ontbreekt."))
    elif not _valid_email(email):
        problems.append(_("E-mailadres %(value)s is ongeldig.") % {"value": _shown(email)})
    if problems:
        return " ".join(problems)
    return _Row(line=line, kvk=kvk, name=name, policy=policy, email=email)


def _single_line(value: str) -> bool:
    """``common.text``'s rule, with a fast path: a printable text holds no control, format or
    separator character and no noncharacter, so it is fine as it is."""
    return value.isprintable() or forbidden_character(value) is None


def _valid_email(email: str) -> bool:
    if len(email) > EMAIL_MAX or not _single_line(email):
        return False
    try:
        _email_validator(email)
    except ValidationError:
        return False
    return True


# --- writing -----------------------------------------------------------------------------------


def _lock() -> None:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_LOCK_KEY])


def _select_in(sql: str, values: list[str]) -> list[tuple[Any, ...]]:
    """Run ``sql``, which ends in ``<column>``, for the rows whose column is one of ``values``:
    ``= ANY(array)`` on PostgreSQL (one parameter, whatever the batch size), ``IN (...)``
    elsewhere. Only placeholders are put into the SQL, never values."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(f"{sql} = ANY(%s)", [values])
        else:
            placeholders = ", ".join(["%s"] * len(values))
            cursor.execute(f"{sql} IN ({placeholders})", values)
        return cursor.fetchall()


class _SeenTables:
    """Temporary tables (this connection only, dropped at the end or rolled back with the
    import) of the policy numbers and KvK numbers met so far in the file, with their line (and
    the customer's name): the file's duplicates, found without holding them in memory.
    Unqualified names find the temporary table first (PostgreSQL and SQLite alike)."""

    def create(self) -> None:
        schema = "pg_temp" if connection.vendor == "postgresql" else "temp"
        with connection.cursor() as cursor:
            for table in ("customers_import_policies", "customers_import_customers"):
                cursor.execute(f"DROP TABLE IF EXISTS {schema}.{table}")
            cursor.execute(
                "CREATE TEMPORARY TABLE customers_import_policies "
                "(number varchar(20) PRIMARY KEY, line integer NOT NULL)"
            )
            cursor.execute(
                "CREATE TEMPORARY TABLE customers_import_customers "
                "(kvk varchar(8) PRIMARY KEY, name varchar(200) NOT NULL, line integer NOT NULL)"
            )

    def drop(self) -> None:
        with connection.cursor() as cursor:
            cursor.execute("DROP TABLE customers_import_policies")
            cursor.execute("DROP TABLE customers_import_customers")

    def policy_lines(self, numbers: list[str]) -> dict[str, int]:
        return dict(
            _select_in("SELECT number, line FROM customers_import_policies WHERE number", numbers)
        )

    def customer_names(self, kvks: list[str]) -> dict[str, tuple[str, int]]:
        rows = _select_in("SELECT kvk, name, line FROM customers_import_customers WHERE kvk", kvks)
        return {kvk: (name, line) for kvk, name, line in rows}

    @staticmethod
    def add(policies: list[tuple[str, int]], customers: list[tuple[str, str, int]]) -> None:
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                # One statement per table and batch: the columns as arrays.
                if policies:
                    cursor.execute(
                        "INSERT INTO customers_import_policies (number, line) "
                        "SELECT * FROM unnest(%s::varchar[], %s::integer[])",
                        [list(column) for column in zip(*policies, strict=True)],
                    )
                if customers:
                    cursor.execute(
                        "INSERT INTO customers_import_customers (kvk, name, line) "
                        "SELECT * FROM unnest(%s::varchar[], %s::varchar[], %s::integer[])",
                        [list(column) for column in zip(*customers, strict=True)],
                    )
                return
            if policies:
                cursor.executemany(
                    "INSERT INTO customers_import_policies (number, line) VALUES (%s, %s)",
                    policies,
                )
            if customers:
                cursor.executemany(
                    "INSERT INTO customers_import_customers (kvk, name, line) VALUES (%s, %s, %s)",
                    customers,
                )


def _unique(batch: list[_Row], report: ImportReport, seen: _SeenTables) -> list[_Row]:
    """The rows of ``batch`` whose policy number is new in the file and whose KvK number, if met
    before, came with the same name; the others are refused."""
    earlier_policies = seen.policy_lines(list({row.policy for row in batch}))
    earlier_customers = seen.customer_names(list({row.kvk for row in batch}))
    new_policies: list[tuple[str, int]] = []
    new_customers: list[tuple[str, str, int]] = []
    kept = []
    for row in batch:
        first_line = earlier_policies.get(row.policy)
        if first_line is not None:
            report.refuse(
                row.line,
                _(
                    "Polisnummer %(number)s staat ook op regel %(line)d: elk polisnummer mag "
                    "maar één keer in het bestand staan."
                )
                % {"number": row.policy, "line": first_line},
            )
            continue
        earlier_policies[row.policy] = row.line
        new_policies.append((row.policy, row.line))
        customer = earlier_customers.get(row.kvk)
        if customer is None:
            earlier_customers[row.kvk] = (row.name, row.line)
            new_customers.append((row.kvk, row.name, row.line))
        elif customer[0] != row.name:
            report.refuse(
                row.line,
                _(
                    "KvK-nummer %(kvk)s staat op regel %(line)d met een andere naam (%(name)s): "
                    "een klant heeft één naam."
                )
                % {"kvk": row.kvk, "line": customer[1], "name": _shown(customer[0])},
            )
            continue
        kept.append(row)
    seen.add(new_policies, new_customers)
    return kept


def _write(batch: list[_Row], report: ImportReport, seen: _SeenTables) -> None:
    rows = _unique(batch, report, seen)
    if report.refused_count:
        return  # nothing will be kept: only look for more refusals
    now = timezone.now()

    # Customers: one query for those the batch names, then insert or rename.
    names: dict[str, tuple[str, int]] = {}
    for row in rows:
        names.setdefault(row.kvk, (row.name, row.line))
    customer_ids: dict[str, int] = {}
    current_names: dict[str, str] = {}
    for kvk, pk, name in _select_in(
        "SELECT kvk_number, id, name FROM customers_customer WHERE kvk_number",
        list(names),
    ):
        customer_ids[kvk] = pk
        current_names[kvk] = name
    touched_by: set[int] = set()  # the lines that added or renamed a customer
    new_customers = []
    renamed = []
    for kvk, (name, line) in names.items():
        if kvk not in customer_ids:
            new_customers.append(Customer(kvk_number=kvk, name=name, updated_at=now))
            touched_by.add(line)
        elif current_names[kvk] != name:
            renamed.append(Customer(pk=customer_ids[kvk], name=name, updated_at=now))
            touched_by.add(line)
    if new_customers:
        customer_ids.update(_insert_customers(new_customers))
    if renamed:
        _update_customers(renamed)
    report.customers_added += len(new_customers)
    report.customers_changed += len(renamed)

    # Policies: one query for those the batch names, then insert or update.
    policies = {
        number: (pk, customer_id, email)
        for number, pk, customer_id, email in _select_in(
            "SELECT number, id, customer_id, contact_email FROM customers_policy WHERE number",
            [row.policy for row in rows],
        )
    }
    new_policies = []
    changed = []
    for row in rows:
        customer_id = customer_ids[row.kvk]
        policy = policies.get(row.policy)
        if policy is None:
            new_policies.append(
                Policy(
                    number=row.policy,
                    customer_id=customer_id,
                    contact_email=row.email,
                    updated_at=now,
                )
            )
            report.added += 1
        elif policy[1:] != (customer_id, row.email):
            changed.append(
                Policy(
                    pk=policy[0], customer_id=customer_id, contact_email=row.email, updated_at=now
                )
            )
            report.changed += 1
        elif row.line in touched_by:
            report.changed += 1  # its customer's name changed with it
        else:
            report.unchanged += 1
    if new_policies:
        _insert_policies(new_policies)
    if changed:
        _update_policies(changed)


# Inserts skip the ORM's per-row model preparation (``bulk_create`` took three times as long): on
# PostgreSQL one statement per table and batch on the columns as arrays (``unnest``), elsewhere
# ``executemany``. Updates on PostgreSQL likewise (``bulk_update`` builds a CASE per row);
# elsewhere the ORM's ``bulk_update``.


def _insert_customers(customers: list[Customer]) -> dict[str, int]:
    """Insert ``customers``; their ids by KvK number."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                "INSERT INTO customers_customer (kvk_number, name, updated_at) "
                "SELECT kvk, name, %s FROM unnest(%s::varchar[], %s::varchar[]) AS v(kvk, name) "
                "RETURNING kvk_number, id",
                [
                    customers[0].updated_at,
                    [customer.kvk_number for customer in customers],
                    [customer.name for customer in customers],
                ],
            )
            return dict(cursor.fetchall())
    stamp = connection.ops.adapt_datetimefield_value(customers[0].updated_at)
    with connection.cursor() as cursor:
        cursor.executemany(
            "INSERT INTO customers_customer (kvk_number, name, updated_at) VALUES (%s, %s, %s)",
            [(customer.kvk_number, customer.name, stamp) for customer in customers],
        )
    return dict(
        _select_in(
            "SELECT kvk_number, id FROM customers_customer WHERE kvk_number",
            [customer.kvk_number for customer in customers],
        )
    )


def _insert_policies(policies: list[Policy]) -> None:
    """Insert ``policies``."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                "INSERT INTO customers_policy (number, customer_id, contact_email, updated_at) "
                "SELECT number, customer_id, email, %s "
                "FROM unnest(%s::varchar[], %s::bigint[], %s::varchar[]) "
                "AS v(number, customer_id, email)",
                [
                    policies[0].updated_at,
                    [policy.number for policy in policies],
                    [policy.customer_id for policy in policies],
                    [policy.contact_email for policy in policies],
                ],
            )
        return
    stamp = connection.ops.adapt_datetimefield_value(policies[0].updated_at)
    with connection.cursor() as cursor:
        cursor.executemany(
            "INSERT INTO customers_policy (number, customer_id, contact_email, updated_at) "
            "VALUES (%s, %s, %s, %s)",
            [
                (policy.number, policy.customer_id, policy.contact_email, stamp)
                for policy in policies
            ],
        )


def _update_customers(customers: list[Customer]) -> None:
    """Set the new name (and ``updated_at``) of ``customers`` (instances with pk, name)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                "UPDATE customers_customer AS c SET name = v.name, updated_at = %s "
                "FROM unnest(%s::bigint[], %s::varchar[]) AS v(id, name) WHERE c.id = v.id",
                [
                    customers[0].updated_at,
                    [customer.pk for customer in customers],
                    [customer.name for customer in customers],
                ],
            )
        return
    Customer.objects.bulk_update(customers, ["name", "updated_at"])


def _update_policies(policies: list[Policy]) -> None:
    """Set the new customer and contact address (and ``updated_at``) of ``policies``."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                "UPDATE customers_policy AS p SET customer_id = v.customer_id, "
                "contact_email = v.email, updated_at = %s "
                "FROM unnest(%s::bigint[], %s::bigint[], %s::varchar[]) "
                "AS v(id, customer_id, email) WHERE p.id = v.id",
                [
                    policies[0].updated_at,
                    [policy.pk for policy in policies],
                    [policy.customer_id for policy in policies],
                    [policy.contact_email for policy in policies],
                ],
            )
        return
    Policy.objects.bulk_update(policies, ["customer", "contact_email", "updated_at"])
