"""The register import (customers.imports): counts with line numbers, idempotent, normalised, and
all or nothing: a wrong header, another encoding, a duplicate policy number or one bad row changes
nothing, also when earlier batches were already written. Streamed a line at a time."""

from __future__ import annotations

import codecs
import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import translation

from customers.imports import BATCH_SIZE, MAX_LINE_BYTES, MAX_REFUSALS_KEPT, import_customers
from customers.models import Customer, Policy
from tests.customers.conftest import csv_bytes, csv_file

pytestmark = pytest.mark.django_db


def _register() -> list[tuple[str, str, str, str]]:
    return list(
        Policy.objects.order_by("customer__kvk_number", "number").values_list(
            "customer__kvk_number", "customer__name", "number", "contact_email"
        )
    )


def _rows(count: int, *, start: int = 0) -> list[str]:
    """``count`` policies, two per customer."""
    return [
        f"{10_000_000 + (n // 2):08d};Klant {n // 2};POL-{n:07d};contact{n}@klant.example"
        for n in range(start, start + count)
    ]


def _import(*rows: str, **kwargs):
    with translation.override("nl"):
        return import_customers(csv_file(*rows, **kwargs))


# --- counts ------------------------------------------------------------------------------------


def test_a_first_import_adds_every_policy_and_customer(register_rows):
    report = _import(*register_rows)

    assert report.applied
    assert (report.rows, report.added, report.changed, report.unchanged) == (3, 3, 0, 0)
    assert (report.customers_added, report.customers_changed) == (2, 0)
    assert report.refused == []
    assert _register() == [
        (
            "12345678",
            "Bakkerij Van Dijk B.V.",
            "ASR-100001",
            "j.vandijk@bakkerij-vandijk.example",
        ),
        (
            "23456789",
            "Installatiebedrijf De Vries B.V.",
            "ASR-100002",
            "administratie@devries.example",
        ),
        ("23456789", "Installatiebedrijf De Vries B.V.", "ASR-100012", "p.devries@devries.example"),
    ]


def test_a_reimport_of_the_same_file_counts_everything_unchanged_and_writes_nothing(register_rows):
    _import(*register_rows)
    stamps = list(Policy.objects.order_by("number").values_list("updated_at", flat=True))

    with CaptureQueriesContext(connection) as queries:
        report = _import(*register_rows)

    assert (report.added, report.changed, report.unchanged) == (0, 0, 3)
    assert (report.customers_added, report.customers_changed) == (0, 0)
    writes = [
        q["sql"]
        for q in queries
        if q["sql"].lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE"))
        and "customers_import_" not in q["sql"]  # the import's own temporary tables
    ]
    assert writes == []
    assert list(Policy.objects.order_by("number").values_list("updated_at", flat=True)) == stamps


def test_changed_addresses_names_and_owners_count_as_changed_the_rest_unchanged(register_rows):
    _import(*register_rows)

    report = _import(
        # the customer's name changed (this row carries it)
        "12345678;Bakkerij Van Dijk;ASR-100001;j.vandijk@bakkerij-vandijk.example",
        # a new contact address
        "23456789;Installatiebedrijf De Vries B.V.;ASR-100002;nieuw@devries.example",
        # the policy moved to another (new) customer
        "34567890;Zorggroep Tilburg;ASR-100012;p.devries@devries.example",
        # a new policy of an existing customer
        "23456789;Installatiebedrijf De Vries B.V.;ASR-100022;x@devries.example",
    )

    assert report.applied
    assert (report.added, report.changed, report.unchanged) == (1, 3, 0)
    assert (report.customers_added, report.customers_changed) == (1, 1)
    assert Customer.objects.get(kvk_number="12345678").name == "Bakkerij Van Dijk"
    assert Policy.objects.get(number="ASR-100002").contact_email == "nieuw@devries.example"
    assert Policy.objects.get(number="ASR-100012").customer.kvk_number == "34567890"


def test_a_reimport_with_every_address_and_name_changed_updates_every_batch():
    rows = _rows(BATCH_SIZE + 300)
    _import(*rows)
    changed = [row.replace("@klant", "@nieuw").replace(";Klant ", ";Firma ") for row in rows]

    report = _import(*changed)

    assert (report.added, report.changed, report.unchanged) == (0, len(rows), 0)
    assert report.customers_changed == len(rows) // 2
    assert not Policy.objects.filter(contact_email__contains="@klant").exists()
    assert not Customer.objects.filter(name__startswith="Klant ").exists()
    assert _import(*changed).unchanged == len(rows)


def test_policies_missing_from_the_file_stay_in_the_register(register_rows):
    _import(*register_rows)

    report = _import(register_rows[0])

    assert (report.added, report.changed, report.unchanged) == (0, 0, 1)
    assert Policy.objects.count() == 3


def test_numbers_are_normalised_and_commas_a_bom_quotes_crlf_and_blank_lines_are_accepted():
    data = codecs.BOM_UTF8 + csv_bytes(
        '"1234 5678","Bakkerij Van Dijk, B.V.",asr 100.001, j.vandijk@bakkerij-vandijk.example ',
        "",
        "23.456.789,De Vries,ASR-100002,a@devries.example",
        header="kvk_nummer,naam,polisnummer,email",
        eol="\r\n",
    )

    report = import_customers(io.BytesIO(data))

    assert report.applied
    assert (report.rows, report.added) == (2, 2)
    assert _register() == [
        ("12345678", "Bakkerij Van Dijk, B.V.", "ASR100001", "j.vandijk@bakkerij-vandijk.example"),
        ("23456789", "De Vries", "ASR-100002", "a@devries.example"),
    ]


def test_a_file_with_only_the_header_imports_nothing_and_says_so():
    report = _import()

    assert report.applied
    assert (report.rows, report.added) == (0, 0)


# --- refused rows: nothing changes -------------------------------------------------------------


def test_refused_rows_are_listed_with_their_line_and_reason_and_nothing_changes(register_rows):
    _import(*register_rows)
    before = _register()

    report = _import(
        "12345678;Bakkerij Van Dijk B.V.;ASR-100001;nieuw@bakkerij-vandijk.example",
        "1234567;Te kort;ASR-200001;a@b.example",
        "34567890;;ASR-200002;a@b.example",
        "34567891;Zonder polis;A;a@b.example",
        "34567892;Zonder e-mail;ASR-200003;geen-adres",
        "34567893;Te weinig kolommen;ASR-200004",
        "34567894;Met\u200bteken;ASR-200005;a@b.example",
    )

    assert not report.applied
    assert report.refused_count == 6
    reasons = {row.line: row.reason for row in report.refused}
    assert set(reasons) == {3, 4, 5, 6, 7, 8}
    assert "KvK-nummer “1234567” bestaat niet uit precies 8 cijfers" in reasons[3]
    assert "De naam ontbreekt" in reasons[4]
    assert "Polisnummer “A” is ongeldig" in reasons[5]
    assert "E-mailadres “geen-adres” is ongeldig" in reasons[6]
    assert "3 kolommen in plaats van 4" in reasons[7]
    assert "onzichtbaar teken" in reasons[8]
    assert (report.added, report.changed, report.unchanged) == (0, 0, 0)
    assert _register() == before


def test_one_bad_row_after_batches_were_written_still_changes_nothing():
    rows = _rows(BATCH_SIZE + 500)
    rows.append("99999999;Laatste rij;POL-LAATST;geen-adres")

    report = _import(*rows)

    assert not report.applied
    assert [(row.line, "E-mailadres" in row.reason) for row in report.refused] == [
        (len(rows) + 1, True)
    ]
    assert Customer.objects.count() == 0
    assert Policy.objects.count() == 0


def test_a_policy_number_twice_in_one_batch_refuses_the_file_with_both_lines(register_rows):
    report = _import(*register_rows, "34567890;Zorggroep Tilburg;asr-100001;z@tilburg.example")

    assert not report.applied
    assert [(row.line, row.reason) for row in report.refused] == [
        (
            5,
            (
                "Polisnummer ASR-100001 staat ook op regel 2: elk polisnummer mag maar één keer "
                "in het bestand staan."
            ),
        )
    ]
    assert Policy.objects.count() == 0


def test_a_policy_number_twice_far_apart_in_the_file_is_found_across_batches():
    rows = _rows(BATCH_SIZE * 2 + 10)
    rows.append("99999999;Dubbel;POL-0000003;d@dubbel.example")  # line 5 has POL-0000003

    report = _import(*rows)

    assert not report.applied
    assert [(row.line, "staat ook op regel 5" in row.reason) for row in report.refused] == [
        (len(rows) + 1, True)
    ]
    assert Policy.objects.count() == 0


def test_one_kvk_number_with_two_names_in_the_file_is_refused():
    report = _import(
        "12345678;Bakkerij Van Dijk B.V.;ASR-100001;a@vandijk.example",
        "12345678;Bakkerij Jansen;ASR-100002;b@vandijk.example",
    )

    assert not report.applied
    assert [row.line for row in report.refused] == [3]
    assert "staat op regel 2 met een andere naam" in report.refused[0].reason


def test_a_file_with_very_many_bad_rows_lists_the_first_and_counts_all():
    rows = [f"{n:07d};Te kort;POL-{n:07d};a@b.example" for n in range(MAX_REFUSALS_KEPT + 25)]

    report = _import(*rows)

    assert report.refused_count == MAX_REFUSALS_KEPT + 25
    assert len(report.refused) == MAX_REFUSALS_KEPT
    assert report.refused_not_listed == 25


def test_reasons_are_in_the_active_language():
    with translation.override("en"):
        report = import_customers(csv_file("1234567;Te kort;ASR-200001;a@b.example"))

    assert report.refused[0].reason.startswith("KvK number “1234567”")


# --- the file as a whole refused -----------------------------------------------------------


@pytest.mark.parametrize(
    "header",
    [
        "kvk;naam;polis;email",
        "kvk_nummer;naam;polisnummer",
        "kvk_nummer;naam;polisnummer;email;telefoon",
        "kvk_nummer\tnaam\tpolisnummer\temail",
        "",
    ],
)
def test_a_wrong_header_refuses_the_file_and_changes_nothing(register_rows, header):
    _import(*register_rows)
    before = _register()

    report = _import(register_rows[0].replace("ASR-100001", "ASR-900001"), header=header)

    assert not report.applied
    assert report.file_error_line == 1
    assert "De eerste regel moet precies kvk_nummer;naam;polisnummer;email zijn" in (
        report.file_error
    )
    assert _register() == before


def test_a_wrong_header_is_quoted_in_the_reason():
    assert _import(header="naam;kvk").file_error.endswith("er staat: “naam;kvk”")
    assert _import(header=" ").file_error.endswith("er staat: (een lege regel)")


@pytest.mark.parametrize(
    ("data", "line", "words"),
    [
        # Latin-1 (Excel's "CSV" on Windows): the é of "Café" on line 3
        (
            csv_bytes(
                "12345678;Bakkerij;ASR-100001;a@b.example",
                "23456789;Café De Hoek;ASR-100002;c@d.example",
                encoding="latin-1",
            ),
            3,
            "geen geldige UTF-8",
        ),
        (csv_bytes("12345678;Café;ASR-100001;a@b.example", encoding="utf-16"), None, "UTF-16"),
        (csv_bytes("12345678;Café;ASR-100001;a@b.example", encoding="utf-16-le"), 1, "NUL"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00", 1, "geen geldige UTF-8"),
        (b"", None, "Het bestand is leeg"),
        (b"x" * (MAX_LINE_BYTES * 3), 1, "langer dan 4096 bytes"),
        (csv_bytes('12345678;"Bakkerij;ASR-100001;a@b.example'), 2, "aanhalingstekens"),
    ],
    ids=["latin-1", "utf-16", "utf-16-without-bom", "png", "empty", "no-line-breaks", "quote"],
)
def test_a_file_that_cannot_be_read_is_refused_with_a_clear_reason(data, line, words):
    with translation.override("nl"):
        report = import_customers(io.BytesIO(data))

    assert not report.applied
    assert words in report.file_error
    assert report.file_error_line == line
    assert Policy.objects.count() == 0


def test_a_bad_line_late_in_a_long_file_rolls_back_the_written_batches():
    data = csv_bytes(*_rows(BATCH_SIZE * 2)) + "99999999;Caf\xe9;POL-X001;a@b.example\n".encode(
        "latin-1"
    )

    report = import_customers(io.BytesIO(data))

    assert not report.applied
    assert report.file_error_line == BATCH_SIZE * 2 + 2
    assert Policy.objects.count() == 0
    assert Customer.objects.count() == 0


# --- streaming -----------------------------------------------------------------------------


class LinesOnly:
    """A file that can only be read a line at a time with a limit (no ``read``, no iteration):
    the import must never ask for the whole file."""

    def __init__(self, data: bytes) -> None:
        self._data = io.BytesIO(data)
        self.largest_request = 0
        self.calls = 0

    def readline(self, size: int = -1, /) -> bytes:
        assert size > 0, "readline without a limit"
        self.calls += 1
        self.largest_request = max(self.largest_request, size)
        return self._data.readline(size)


def test_the_file_is_read_a_line_at_a_time_with_a_limit():
    rows = _rows(BATCH_SIZE + 100)
    stream = LinesOnly(csv_bytes(*rows))

    report = import_customers(stream)

    assert report.applied
    assert report.added == len(rows)
    assert stream.largest_request == MAX_LINE_BYTES + 1
    assert stream.calls == len(rows) + 2  # the header, the rows, the end
