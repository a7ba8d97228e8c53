"""The one rule that ties an employer's request to an employer: by loonheffingennummer, then KvK.

A request names one or more loonheffingennummers and a KvK number; an employer (in Loket.nl, or a
processor's registration of it) has loonheffingennummers and usually a KvK number. A request
belongs to the employers that have one of its loonheffingennummers; only when no employer has any
of them does the KvK number decide. Every place that matches (the services when a request or a
registration arrives, the linking worker's visibility check, the Werkgevers page) asks a
:class:`MatchIndex`, so the rule is written here once.

Matching only *pairs* a request with an employer, so that the processor sees it; a link becomes
active only when the request names exactly the employer's loonheffingennummers in Loket.nl
(:func:`employers.services.linking.number_problem`): a pair on the KvK number alone, or on some of
the numbers, is a problem the employer fixes with a new request.

The index is built in linear time and answers in time proportional to the numbers asked about,
so the Werkgevers page can match 10,000 requests against 10,000 employers in milliseconds.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Generic, TypeVar

T = TypeVar("T")


class MatchIndex(Generic[T]):
    """Employers (or their ids, links, rows) by their loonheffingennummers and KvK number, asked
    from a request's side: which of them does a request with these numbers and KvK belong to?

    The KvK number decides only when no item has any of the request's numbers, so the index must
    hold every employer the caller knows of, not only the ones it may pick: otherwise a request
    naming employer A's number would fall back to A's sibling with the same KvK number. Items
    keep the order they were added in (:meth:`first` returns the earliest added match) and are
    told apart by identity.
    """

    __slots__ = ("_by_kvk", "_by_number")

    def __init__(self) -> None:
        self._by_number: dict[str, list[T]] = {}
        self._by_kvk: dict[str, list[T]] = {}

    def add(self, item: T, *, numbers: Iterable[str], kvk: str | None) -> None:
        for number in numbers:
            self._by_number.setdefault(number, []).append(item)
        if kvk:
            self._by_kvk.setdefault(kvk, []).append(item)

    def all(self, *, numbers: Iterable[str], kvk: str | None) -> list[T]:
        """Every item sharing a loonheffingennummer with ``numbers``; if there is none, every
        item with KvK number ``kvk``. Each item once, in the order added."""
        found: dict[int, T] = {}
        for number in numbers:
            for item in self._by_number.get(number, ()):
                found.setdefault(id(item), item)
        if not found and kvk:
            for item in self._by_kvk.get(kvk, ()):
                found.setdefault(id(item), item)
        return list(found.values())

    def first(self, *, numbers: Iterable[str], kvk: str | None) -> T | None:
        """The earliest added item sharing a loonheffingennummer (numbers tried in order), else
        the earliest with KvK number ``kvk``; ``None`` when nothing matches."""
        for number in numbers:
            items = self._by_number.get(number)
            if items:
                return items[0]
        if kvk:
            items = self._by_kvk.get(kvk)
            if items:
                return items[0]
        return None


__all__ = ["MatchIndex"]
