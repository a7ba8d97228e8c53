"""The OpenAPI 3 schema and the docs page (issue 14, point 5)."""

from __future__ import annotations

import pytest
import yaml
from django.core.management import call_command
from django.test import Client
from drf_spectacular.validation import validate_schema

pytestmark = pytest.mark.django_db

PATHS = {
    "/api/v1/links/",
    "/api/v1/links/{id}/",
    "/api/v1/deliveries/",
    "/api/v1/deliveries/{id}/",
    "/api/v1/deliveries/{id}/employees/",
    "/api/v1/deliveries/{id}/employees/search/",
    "/api/v1/deliveries/{id}/employments/",
    "/api/v1/deliveries/{id}/wages/",
    "/api/v1/deliveries/{id}/leave/",
    "/api/v1/wages/",
}


def test_the_schema_is_valid_openapi_3_with_every_path_and_the_oauth2_scheme():
    response = Client().get("/api/v1/schema/?format=json")

    assert response.status_code == 200
    schema = response.json()
    validate_schema(schema)  # raises on an invalid document
    assert schema["openapi"].startswith("3.")
    assert set(schema["paths"]) == PATHS
    flow = schema["components"]["securitySchemes"]["oauth2"]["flows"]["clientCredentials"]
    assert flow["tokenUrl"] == "/api/oauth/token/"
    assert set(flow["scopes"]) == {"read", "bsn"}
    search = schema["paths"]["/api/v1/deliveries/{id}/employees/search/"]["post"]
    assert search["security"] == [{"oauth2": ["read", "bsn"]}]
    wage = schema["components"]["schemas"]["WageOut"]["properties"]
    assert wage["gross"]["type"] == "string"  # amounts as decimal strings
    assert "gender" not in str(schema)


def test_the_schema_generates_without_a_warning_and_validates(tmp_path):
    call_command(
        "spectacular", "--validate", "--fail-on-warn", "--file", str(tmp_path / "schema.yaml")
    )

    assert set(yaml.safe_load((tmp_path / "schema.yaml").read_text())["paths"]) == PATHS


def test_the_schema_is_yaml_by_default():
    response = Client().get("/api/v1/schema/")

    assert set(yaml.safe_load(response.content)["paths"]) == PATHS


@pytest.mark.parametrize("language", ["nl", "en"])
def test_the_docs_page_explains_authentication_and_lists_every_endpoint(language):
    response = Client().get("/api/v1/docs/", headers={"accept-language": language})

    html = response.content.decode()
    assert response.status_code == 200
    assert f'<html lang="{language}">' in html
    assert 'class="site-header"' in html
    assert "grant_type=client_credentials" in html
    assert "/api/oauth/token/" in html
    assert 'href="/api/v1/schema/"' in html
    assert 'href="/api/v1/docs/swagger/"' in html
    for path in PATHS:
        assert f"<code>{path}</code>" in html
    assert 'id="problem-invalid-cursor"' in html
    assert "<script" not in html  # nothing the portal's CSP would have to allow


def test_the_home_page_links_the_docs_page():
    assert 'href="/api/v1/docs/"' in Client().get("/").content.decode()


def test_the_swagger_ui_page_loads_its_files_from_the_portal_only():
    page = Client().get("/api/v1/docs/swagger/").content.decode()
    script = Client().get("/api/v1/docs/swagger/?script=")

    assert "<script>" not in page
    assert "<style>" not in page
    assert "https://" not in page
    assert "/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js" in page
    assert script["Content-Type"].startswith("application/javascript")
    assert "/api/v1/schema/" in script.content.decode()
