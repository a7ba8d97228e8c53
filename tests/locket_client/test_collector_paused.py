"""The client reads bulk answers with the garbage collector paused, and always resumes it."""

from __future__ import annotations

import gc

import pytest

from locket_client.answers import collector_paused
from locket_client.errors import LoketError
from tests.conftest import demo_credentials


def test_the_collector_is_off_during_the_read_and_on_again_after_it():
    assert gc.isenabled()
    with collector_paused():
        assert not gc.isenabled()
    assert gc.isenabled()


def test_an_error_during_the_read_still_resumes_the_collector():
    with pytest.raises(LoketError), collector_paused():
        raise LoketError("boom")
    assert gc.isenabled()


def test_a_collector_paused_by_someone_else_stays_paused():
    gc.disable()
    try:
        with collector_paused():
            assert not gc.isenabled()
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_a_bulk_call_over_http_leaves_the_collector_on(loket):
    employers = loket.employers(demo_credentials())
    assert employers
    assert gc.isenabled()
