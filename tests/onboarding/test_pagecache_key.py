"""Issue 13, point 8: the page cache key holds only the query parameters the page reads,
normalised; any other query string gets the same cached page instead of a copy of its own."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from onboarding import pagecache
from tests.onboarding.factories import PayrollProcessorFactory

pytestmark = pytest.mark.django_db


def _next(html: str) -> str:
    return re.search(r'<input name="next" type="hidden" value="([^"]*)">', html).group(1)


def test_page_cache_key_ignores_query_parameters_the_form_does_not_read(client):
    form = reverse("onboarding:register")
    pages = [client.get(f"{form}?x={n}&utm_source=mail{n}") for n in range(5)]

    assert [page.status_code for page in pages] == [200] * 5
    assert len(pagecache.FORM_PAGES) == 1
    assert {_next(page.content.decode()) for page in pages} == {form}


def test_page_cache_key_of_the_directory_has_only_its_search_and_page_normalised(client):
    PayrollProcessorFactory(confirmed=True, company_name="Kanarie Salaris B.V.")
    directory = reverse("onboarding:directory")

    same = [
        client.get(directory, {"q": "Kanarie"}),
        client.get(f"{directory}?junk=1&q=Kanarie"),
        client.get(f"{directory}?q=Kanarie&pagina=1&x=%00"),
        client.get(f"{directory}?q=Kanarie&pagina=nee"),
    ]
    other = client.get(directory, {"q": "Ander"})

    assert [page.status_code for page in [*same, other]] == [200] * 5
    assert len(pagecache.DIRECTORY_PAGES) == 2
    assert {_next(page.content.decode()) for page in same} == {f"{directory}?q=Kanarie"}
    assert "Kanarie Salaris B.V." in same[1].content.decode()
