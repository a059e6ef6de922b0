"""The OpenAPI schema behind /docs: every operation described, the SOAP endpoint, WSDL and the
tracking links among them, and docs pages that load nothing from another host."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from sendwell.app import create_app
from sendwell.config import Settings

METHODS = {"get", "put", "post", "delete", "patch", "head", "options"}


@pytest.fixture(scope="module")
def client() -> Iterator[TestClient]:
    app = create_app(Settings(database_url="sqlite://", secret_key="k"), start_workers=False)
    with TestClient(app) as test_client:
        yield test_client


@pytest.fixture(scope="module")
def schema(client: TestClient) -> dict[str, Any]:
    return client.get("/openapi.json").json()


def operations(schema: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            if method in METHODS:
                yield method.upper(), path, operation


def test_every_operation_has_a_summary_and_a_description(schema: dict[str, Any]) -> None:
    missing = [
        f"{method} {path}"
        for method, path, op in operations(schema)
        if not op.get("summary") or len(op.get("description", "").split()) < 8
    ]
    assert missing == []


def test_every_description_says_what_auth_it_needs(schema: dict[str, Any]) -> None:
    unsaid = [
        f"{method} {path}"
        for method, path, op in operations(schema)
        if not re.search(r"\bAuth:\s|\bNo auth\b", op["description"])
    ]
    assert unsaid == []


def test_the_soap_endpoint_wsdl_and_tracking_routes_are_operations(
    schema: dict[str, Any],
) -> None:
    listed = {(method, path) for method, path, _ in operations(schema)}
    assert {
        ("POST", "/Service.asmx"),
        ("GET", "/Service.asmx"),
        ("GET", "/etframework.wsdl"),
        ("GET", "/ETFrameworkFault.xsd"),
        ("GET", "/t/o/{token}.gif"),
        ("GET", "/t/c/{token}/{url_id}"),
        ("GET", "/t/u/{token}"),
        ("POST", "/t/u/{token}"),
        ("GET", "/t/p/{token}"),
    } <= listed
    soap = schema["paths"]["/Service.asmx"]["post"]
    assert "text/xml" in soap["requestBody"]["content"]
    assert {p["name"] for p in soap["parameters"]} == {"SOAPAction"}


def test_the_overview_links_the_soap_endpoint_and_the_wsdl(schema: dict[str, Any]) -> None:
    overview = schema["info"]["description"]
    assert "](/Service.asmx)" in overview
    assert "](/etframework.wsdl)" in overview
    assert "/t/c/" in overview


def test_routes_that_need_a_token_declare_the_bearer_scheme(schema: dict[str, Any]) -> None:
    secured = {path for _, path, op in operations(schema) if op.get("security")}
    assert "/data/v1/integration/send/{integration_type}/{channel}/{definition_id}" in secured
    assert "/capture/v1/messages" in secured
    assert "/v2/token" not in secured
    assert not any(path.startswith("/t/") for path in secured)


@pytest.mark.parametrize("page", ["/docs", "/redoc"])
def test_docs_pages_load_their_assets_from_sendwell(client: TestClient, page: str) -> None:
    html = client.get(page).text
    sources = re.findall(r"""(?:src|href)=["']([^"']+)""", html)
    assert sources, html
    assert [s for s in sources if re.match(r"(https?:)?//", s)] == []
    assert "fonts.googleapis" not in html
    for source in sources:
        assert client.get(source).status_code == 200, source
