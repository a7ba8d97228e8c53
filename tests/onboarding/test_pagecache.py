"""The per-process cache of rendered pages: time to live, size bound, threads, CSRF tokens."""

from __future__ import annotations

import random
import threading

import pytest
from django.middleware.csrf import _unmask_cipher_token
from django.test import RequestFactory

from onboarding import pagecache
from onboarding.pagecache import CSRF_PLACEHOLDER, CachedPage, PageCache


class FakeClock:
    """A monotonic clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


def test_a_stored_page_is_returned_until_its_time_to_live_has_passed(clock):
    cache: PageCache[str] = PageCache(ttl=30, max_entries=10, clock=clock)
    cache.set("directory", "<html>")

    clock.now += 29.9
    assert cache.get("directory") == "<html>"
    clock.now += 0.1
    assert cache.get("directory") is None
    assert len(cache) == 0  # the expired entry is gone, not just hidden


def test_storing_a_page_again_starts_its_time_to_live_anew(clock):
    cache: PageCache[str] = PageCache(ttl=30, max_entries=10, clock=clock)
    cache.set("key", "old")
    clock.now += 20
    cache.set("key", "new")
    clock.now += 20

    assert cache.get("key") == "new"


def test_an_unknown_key_is_a_miss(clock):
    cache: PageCache[str] = PageCache(ttl=30, max_entries=10, clock=clock)

    assert cache.get(("nl", "", "/salarisverwerkers/")) is None


def test_the_least_recently_used_page_makes_room_when_the_cache_is_full(clock):
    cache: PageCache[str] = PageCache(ttl=30, max_entries=3, clock=clock)
    for key in "abc":
        cache.set(key, key.upper())
    assert cache.get("a") == "A"  # a is now the most recently used

    cache.set("d", "D")

    assert len(cache) == 3
    assert cache.get("b") is None
    assert [cache.get(key) for key in "acd"] == ["A", "C", "D"]


def test_many_different_keys_never_grow_the_cache_past_its_bound(clock):
    cache: PageCache[str] = PageCache(ttl=30, max_entries=256, clock=clock)
    for number in range(10_000):
        cache.set(("nl", f"zoekterm {number}", 1), "page")

    assert len(cache) == 256


def test_get_or_set_renders_only_on_a_miss(clock):
    cache: PageCache[str] = PageCache(ttl=30, max_entries=10, clock=clock)
    renders: list[int] = []

    def render() -> str:
        renders.append(1)
        return f"render {len(renders)}"

    first = cache.get_or_set("form", render)
    second = cache.get_or_set("form", render)
    clock.now += 30
    third = cache.get_or_set("form", render)

    assert (first, second, third) == ("render 1", "render 1", "render 2")
    assert len(renders) == 2


@pytest.mark.parametrize(("ttl", "max_entries"), [(0, 10), (-1, 10), (30, 0)])
def test_a_cache_without_room_or_time_is_refused(ttl, max_entries):
    with pytest.raises(ValueError, match="positive"):
        PageCache(ttl=ttl, max_entries=max_entries)


def test_the_cache_stays_consistent_under_concurrent_threads():
    cache: PageCache[int] = PageCache(ttl=0.01, max_entries=50)
    errors: list[BaseException] = []

    def hammer(seed: int) -> None:
        rng = random.Random(seed)
        try:
            for _ in range(5000):
                key = rng.randrange(200)
                if rng.random() < 0.5:
                    cache.set(key, key)
                else:
                    value = cache.get(key)
                    assert value in (None, key)
                if rng.random() < 0.01:
                    cache.clear()
        except BaseException as error:  # noqa: BLE001 - reported to the main thread
            errors.append(error)

    threads = [threading.Thread(target=hammer, args=(seed,)) for seed in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert len(cache) <= 50


def test_clear_empties_every_page_cache():
    pagecache.FORM_PAGES.set("form", CachedPage((b"form",)))
    pagecache.DIRECTORY_PAGES.set("directory", CachedPage((b"directory",)))

    pagecache.clear()

    assert len(pagecache.FORM_PAGES) == len(pagecache.DIRECTORY_PAGES) == 0


def test_a_settings_change_empties_the_page_caches(settings):
    pagecache.FORM_PAGES.set("form", CachedPage((b"form",)))

    settings.LANGUAGE_CODE = "en"

    assert len(pagecache.FORM_PAGES) == 0


# --- the CSRF placeholder -----------------------------------------------------------------------


def test_each_response_of_a_cached_page_gets_the_visitors_own_csrf_token():
    page = CachedPage.from_html(
        f'<input name="a" value="{CSRF_PLACEHOLDER}"> é <input name="b" value="{CSRF_PLACEHOLDER}">'
    )
    first_visitor, second_visitor = RequestFactory().get("/"), RequestFactory().get("/")

    first = page.response(first_visitor).content.decode()
    second = page.response(second_visitor).content.decode()

    first_token = first.split('value="')[1].split('"')[0]
    second_token = second.split('value="')[1].split('"')[0]
    assert first.count(first_token) == 2
    assert CSRF_PLACEHOLDER not in first
    assert " é " in first
    assert first_token != second_token
    # each token belongs to its own visitor's CSRF cookie (which the middleware then sets)
    assert _unmask_cipher_token(first_token) == first_visitor.META["CSRF_COOKIE"]
    assert _unmask_cipher_token(second_token) == second_visitor.META["CSRF_COOKIE"]
    assert first_visitor.META["CSRF_COOKIE"] != second_visitor.META["CSRF_COOKIE"]


def test_a_cached_page_without_a_form_sets_no_csrf_cookie():
    request = RequestFactory().get("/")

    response = CachedPage.from_html("<p>geen formulier</p>").response(request)

    assert response.content == b"<p>geen formulier</p>"
    assert "CSRF_COOKIE" not in request.META


def test_the_placeholder_is_random_per_process_and_safe_in_an_attribute():
    assert CSRF_PLACEHOLDER.startswith("csrf-placeholder-")
    assert len(CSRF_PLACEHOLDER) >= 40
    assert CSRF_PLACEHOLDER.replace("-", "").isalnum()
