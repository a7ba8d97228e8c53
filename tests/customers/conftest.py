"""Helpers for the customer register's tests: CSV files as a.s.r. would send them."""

from __future__ import annotations

import io

import pytest

HEADER = "kvk_nummer;naam;polisnummer;email"


def csv_bytes(*rows: str, header: str = HEADER, encoding: str = "utf-8", eol: str = "\n") -> bytes:
    return eol.join([header, *rows, ""]).encode(encoding)


def csv_file(*rows: str, **kwargs) -> io.BytesIO:
    return io.BytesIO(csv_bytes(*rows, **kwargs))


@pytest.fixture
def register_rows() -> list[str]:
    """Three policies of two customers."""
    return [
        "12345678;Bakkerij Van Dijk B.V.;ASR-100001;j.vandijk@bakkerij-vandijk.example",
        "23456789;Installatiebedrijf De Vries B.V.;ASR-100002;administratie@devries.example",
        "23456789;Installatiebedrijf De Vries B.V.;ASR-100012;p.devries@devries.example",
    ]
