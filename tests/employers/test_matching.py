"""The one matching rule (employers.matching): by loonheffingennummer, then by KvK number."""

from __future__ import annotations

from employers.matching import MatchIndex


def _index() -> MatchIndex[str]:
    index: MatchIndex[str] = MatchIndex()
    index.add("bakkerij", numbers=["144068989L01"], kvk="12345678")
    index.add("installatie", numbers=["173718528L01", "173718528L02"], kvk="23456789")
    index.add("installatie-zuid", numbers=["999999999L01"], kvk="23456789")
    index.add("zonder-kvk", numbers=["177756184L01"], kvk="")
    return index


def test_a_shared_loonheffingennummer_matches():
    assert _index().first(numbers=["173718528L02"], kvk="") == "installatie"


def test_a_number_wins_over_a_kvk_number_naming_another_employer():
    assert _index().first(numbers=["144068989L01"], kvk="23456789") == "bakkerij"
    assert _index().all(numbers=["144068989L01"], kvk="23456789") == ["bakkerij"]


def test_the_kvk_number_decides_only_when_no_number_matches():
    assert _index().first(numbers=["211946217L01"], kvk="23456789") == "installatie"
    assert _index().all(numbers=["211946217L01"], kvk="23456789") == [
        "installatie",
        "installatie-zuid",
    ]


def test_nothing_matches_without_a_shared_number_or_kvk_number():
    assert _index().first(numbers=["211946217L01"], kvk="45678901") is None
    assert _index().all(numbers=[], kvk="") == []


def test_all_names_each_item_once_in_the_order_added():
    index: MatchIndex[str] = MatchIndex()
    index.add("a", numbers=["1", "2"], kvk="k")
    index.add("b", numbers=["2"], kvk="k")
    assert index.all(numbers=["2", "1"], kvk="k") == ["a", "b"]
    assert index.first(numbers=["2"], kvk="k") == "a"


def test_an_empty_kvk_number_never_matches_items_without_one():
    assert _index().first(numbers=[], kvk="") is None
