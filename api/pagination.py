"""Cursor pagination on the primary key, with a page size the client may choose up to a limit.

The cursor is signed (``django.core.signing``): a cursor the API did not hand out, or one changed
by the client, is a 400 problem, never a 404 (DRF's "Invalid cursor") nor a query on a
position that is not a number. ``page_size`` above ``API_MAX_PAGE_SIZE`` is a 400 as well, not
quietly cut down: a client that asks for 10^6 rows learns that it gets at most the maximum.
Ordering by ``id`` (unique, indexed) makes every page one index range scan, and the pages of a
walk neither repeat nor skip rows, whatever is added meanwhile.
"""

from __future__ import annotations

import re
from typing import Any

from django.conf import settings
from django.core import signing
from django.utils.translation import gettext as _
from rest_framework.pagination import Cursor, CursorPagination
from rest_framework.utils.urls import replace_query_param

from api.problems import InvalidParameters

_SIGNER = signing.Signer(salt="api.cursor")
_NUMBER = re.compile(r"[0-9]{1,18}")
_CURSOR = re.compile(r"(?P<reverse>[01])\.(?P<offset>[0-9]{1,4})\.(?P<position>[0-9]{0,18})")


class IdCursorPagination(CursorPagination):
    ordering = "id"
    page_size_query_param = "page_size"
    cursor_query_param = "cursor"

    @property
    def max_page_size(self) -> int:  # read per request: tests change the setting
        return settings.API_MAX_PAGE_SIZE

    def get_page_size(self, request: Any) -> int:
        raw = request.query_params.get(self.page_size_query_param)
        if raw is None:
            return self.page_size
        if not _NUMBER.fullmatch(raw) or not 1 <= int(raw) <= self.max_page_size:
            raise InvalidParameters(
                {
                    "page_size": _("Een geheel getal van 1 tot en met %(max)s.")
                    % {"max": self.max_page_size}
                }
            )
        return int(raw)

    def encode_cursor(self, cursor: Cursor) -> str:
        position = "" if cursor.position is None else str(cursor.position)
        offset = min(int(cursor.offset), self.offset_cutoff)
        token = _SIGNER.sign(f"{int(bool(cursor.reverse))}.{offset}.{position}")
        return replace_query_param(self.base_url, self.cursor_query_param, token)

    def decode_cursor(self, request: Any) -> Cursor | None:
        token = request.query_params.get(self.cursor_query_param)
        if token is None:
            return None
        try:
            value = _SIGNER.unsign(token)
        except signing.BadSignature:
            value = ""
        match = _CURSOR.fullmatch(value)
        if match is None:
            raise InvalidParameters(
                {"cursor": _("Gebruik de cursor uit next of previous, ongewijzigd.")},
                slug="invalid-cursor",
            )
        position = match["position"] or None
        offset = min(int(match["offset"]), self.offset_cutoff)
        return Cursor(offset=offset, reverse=match["reverse"] == "1", position=position)
