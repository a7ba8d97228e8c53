"""Placeholder: being written."""

from __future__ import annotations


def send_request_received(*, request_id: int) -> None:
    raise NotImplementedError


def send_links_active(*, link_ids: list[int]) -> None:
    raise NotImplementedError


def send_request_problem(*, request_id: int) -> None:
    raise NotImplementedError
