"""The register in the admin: customers and policies searchable, and "Klantregister importeren"
(staff who may add and change customers only; CSRF-protected; a file over the limit, a binary, an
empty or a badly headed file gets a clear report page, never an error page)."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from customers.models import Customer, Policy
from tests.customers.conftest import csv_bytes
from tests.onboarding.factories import StaffUserFactory

pytestmark = pytest.mark.django_db

IMPORT = reverse("admin:customers_customer_import")
CUSTOMERS = reverse("admin:customers_customer_changelist")
POLICIES = reverse("admin:customers_policy_changelist")
MAY_IMPORT = [
    "customers.view_customer",
    "customers.add_customer",
    "customers.change_customer",
]


@pytest.fixture
def importer(client):
    client.force_login(StaffUserFactory(permissions=MAY_IMPORT))
    return client


def _upload(client, data: bytes, name: str = "register.csv", **extra):
    return client.post(IMPORT, {"file": SimpleUploadedFile(name, data, "text/csv")}, **extra)


def test_the_customers_list_links_to_the_import_for_staff_who_may_import(importer):
    response = importer.get(CUSTOMERS)

    assert response.status_code == 200
    assert IMPORT in response.content.decode()


def test_staff_who_may_only_view_customers_see_no_link_and_may_not_import(client, register_rows):
    client.force_login(StaffUserFactory(permissions=["customers.view_customer"]))

    assert IMPORT not in client.get(CUSTOMERS).content.decode()
    assert client.get(IMPORT).status_code == 403
    assert _upload(client, csv_bytes(*register_rows)).status_code == 403
    assert Policy.objects.count() == 0


def test_change_without_add_permission_may_not_import(client):
    client.force_login(
        StaffUserFactory(permissions=["customers.view_customer", "customers.change_customer"])
    )

    assert client.get(IMPORT).status_code == 403


def test_the_import_page_shows_the_expected_header_and_the_size_limit(importer):
    page = importer.get(IMPORT).content.decode()

    assert "Klantregister importeren" in page
    assert "kvk_nummer;naam;polisnummer;email" in page
    assert "50,0\xa0MB" in page
    assert 'enctype="multipart/form-data"' in page


def test_an_upload_imports_the_file_and_shows_the_report(importer, register_rows):
    response = _upload(importer, csv_bytes(*register_rows))

    page = response.content.decode()
    assert response.status_code == 200
    assert "Geïmporteerd" in page
    assert '<td id="report-added">3</td>' in page
    assert '<td id="report-refused">0</td>' in page
    assert Policy.objects.count() == 3
    again = _upload(importer, csv_bytes(*register_rows)).content.decode()
    assert '<td id="report-unchanged">3</td>' in again


def test_an_upload_kept_on_disk_is_read_as_well(importer, settings):
    settings.FILE_UPLOAD_MAX_MEMORY_SIZE = 1024  # larger uploads go to a temporary file
    rows = [f"{30_000_000 + n:08d};Klant {n};POL-{n:07d};c{n}@klant.example" for n in range(500)]

    response = _upload(importer, csv_bytes(*rows))

    assert '<td id="report-added">500</td>' in response.content.decode()
    assert Policy.objects.count() == 500


def test_an_upload_with_bad_rows_lists_their_lines_and_changes_nothing(importer, register_rows):
    response = _upload(
        importer, csv_bytes(*register_rows, "1234567;Te kort;ASR-200001;<b>a@b.example")
    )

    page = response.content.decode()
    assert response.status_code == 200
    assert "Niet geïmporteerd: er is niets gewijzigd" in page
    assert "<td>5</td><td>KvK-nummer “1234567” bestaat niet uit precies 8 cijfers." in page
    assert "&lt;b&gt;a@b.example" in page  # the file's text is escaped
    assert "<b>a@b" not in page
    assert Policy.objects.count() == 0


def test_a_file_over_the_limit_is_refused_with_a_message_and_changes_nothing(
    importer, settings, register_rows
):
    settings.CUSTOMER_IMPORT_MAX_BYTES = 1024
    rows = register_rows + [
        f"{30_000_000 + n:08d};Klant {n};POL-{n:07d};c{n}@klant.example" for n in range(40)
    ]

    response = _upload(importer, csv_bytes(*rows))

    page = response.content.decode()
    assert response.status_code == 200
    assert "het grootste bestand dat hier kan is 1,0\xa0KB" in page
    assert "manage.py import_customers" in page
    assert Policy.objects.count() == 0


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x10", "geen geldige UTF-8"),
        (b"", "Het bestand is leeg."),
        (b"naam;kvk\n12345678;X\n", "De eerste regel moet precies"),
        (csv_bytes("12345678;Caf\xe9;ASR-100001;a@b.example", encoding="utf-16"), "UTF-16"),
    ],
    ids=["binary", "empty", "wrong-header", "utf-16"],
)
def test_a_bad_file_gets_a_clear_page_never_an_error(importer, data, message):
    response = _upload(importer, data)

    assert response.status_code == 200
    assert message in response.content.decode()
    assert Customer.objects.count() == 0


def test_posting_without_a_file_asks_for_one(importer):
    response = importer.post(IMPORT, {})

    assert response.status_code == 200
    assert "Kies een CSV-bestand." in response.content.decode()


def test_the_upload_needs_the_csrf_token(register_rows):
    client = Client(enforce_csrf_checks=True)
    client.force_login(StaffUserFactory(permissions=MAY_IMPORT))

    response = _upload(client, csv_bytes(*register_rows))

    assert response.status_code == 403
    assert Policy.objects.count() == 0


def test_the_import_page_is_in_english_for_english_staff(importer, register_rows):
    importer.cookies["django_language"] = "en"

    page = _upload(importer, csv_bytes(*register_rows, "1234567;X;ASR-200001;a@b.example"))

    text = page.content.decode()
    assert "Import the customer register" in text
    assert "KvK number “1234567”" in text


@pytest.mark.parametrize("query", ["12345678", "Bakkerij", "ASR-100012", "p.devries"])
def test_the_customers_list_searches_kvk_name_policy_and_email(admin_client, register_rows, query):
    _upload(admin_client, csv_bytes(*register_rows))

    page = admin_client.get(CUSTOMERS, {"q": query}).content.decode()

    expected = "Bakkerij Van Dijk" if query in ("12345678", "Bakkerij") else "De Vries"
    assert expected in page


@pytest.mark.parametrize(
    ("query", "policy"),
    [("23456789", "ASR-100002"), ("Bakkerij", "ASR-100001"), ("p.devries", "ASR-100012")],
)
def test_the_policies_list_searches_kvk_name_policy_and_email(
    admin_client, register_rows, query, policy
):
    _upload(admin_client, csv_bytes(*register_rows))

    page = admin_client.get(POLICIES, {"q": query}).content.decode()

    assert policy in page


def test_a_customer_page_shows_its_policies(admin_client, register_rows):
    _upload(admin_client, csv_bytes(*register_rows))
    customer = Customer.objects.get(kvk_number="23456789")

    page = admin_client.get(
        reverse("admin:customers_customer_change", args=[customer.pk])
    ).content.decode()

    assert "ASR-100002" in page
    assert "ASR-100012" in page


def test_a_search_on_policies_lists_each_customer_once_with_all_its_policies(
    admin_client, register_rows
):
    _upload(admin_client, csv_bytes(*register_rows))

    page = admin_client.get(CUSTOMERS, {"q": "devries"}).content.decode()

    assert page.count('<th class="field-name">') == 1
    assert "Installatiebedrijf De Vries B.V.</a>" in page
    assert '<td class="field-policy_count">2</td>' in page
