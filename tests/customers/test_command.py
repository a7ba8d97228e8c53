"""manage.py import_customers FILE: streams the file, prints the report in Dutch, exits with 1
when anything was refused (then nothing changed), with 2 when the file cannot be opened."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from customers.models import Policy
from tests.customers.conftest import csv_bytes

pytestmark = pytest.mark.django_db


def _run(path) -> str:
    out = io.StringIO()
    call_command("import_customers", str(path), stdout=out)
    return out.getvalue()


def test_the_command_imports_a_file_and_prints_the_report_in_dutch(tmp_path, register_rows):
    path = tmp_path / "register.csv"
    path.write_bytes(csv_bytes(*register_rows))

    output = _run(path)

    assert "Klantregister geïmporteerd. Gelezen rijen: 3; toegevoegd: 3; gewijzigd: 0" in output
    assert "Klanten: 2 nieuw, 0 met een nieuwe naam." in output
    assert Policy.objects.count() == 3
    assert "ongewijzigd: 3" in _run(path)


def test_the_command_exits_with_1_and_lists_the_refused_lines_when_a_row_is_bad(
    tmp_path, register_rows
):
    path = tmp_path / "register.csv"
    path.write_bytes(csv_bytes(*register_rows, "1234567;Te kort;ASR-200001;a@b.example"))
    out = io.StringIO()

    with pytest.raises(CommandError) as refused:
        call_command("import_customers", str(path), stdout=out)

    assert refused.value.returncode == 1
    assert "Er is niets gewijzigd" in str(refused.value)
    assert "regel 5: KvK-nummer “1234567” bestaat niet uit precies 8 cijfers." in out.getvalue()
    assert Policy.objects.count() == 0


def test_the_command_exits_with_1_for_a_file_in_another_encoding(tmp_path, register_rows):
    path = tmp_path / "register.csv"
    path.write_bytes(csv_bytes(*register_rows, encoding="utf-16"))
    out = io.StringIO()

    with pytest.raises(CommandError) as refused:
        call_command("import_customers", str(path), stdout=out)

    assert refused.value.returncode == 1
    assert "Bestand geweigerd: Het bestand is in UTF-16 opgeslagen" in out.getvalue()


def test_the_command_exits_with_2_when_the_file_cannot_be_opened(tmp_path):
    with pytest.raises(CommandError) as refused:
        call_command("import_customers", str(tmp_path / "bestaat-niet.csv"))

    assert refused.value.returncode == 2
    assert "Kan " in str(refused.value)


def test_the_command_streams_a_file_larger_than_one_batch(tmp_path):
    path = tmp_path / "groot.csv"
    rows = [f"{20_000_000 + n:08d};Klant {n};POL-{n:07d};c{n}@klant.example" for n in range(5000)]
    path.write_bytes(csv_bytes(*rows))

    output = _run(path)

    assert "Gelezen rijen: 5000; toegevoegd: 5000" in output
    assert Policy.objects.count() == 5000
