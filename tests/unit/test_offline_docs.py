"""/docs and /redoc of every FastAPI app in vori load their UI from the app itself, so they
work on a box without internet (vori/api_docs.py)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from gateway.app import create_app as create_gateway_app
from kanban.app import create_app as create_kanban_app
from vori.settings import load_settings

FACTORIES: dict[str, Any] = {"gateway": create_gateway_app, "kanban": create_kanban_app}
# What a page loads: <script src>, <link href>, and what the starter script fetches.
ASSET = re.compile(r"""(?:src|href)=["']([^"']+)["']""")
SPEC = re.compile(r"""(?:url: |spec-url=)["']([^"']+)["']""")


@pytest.fixture(params=sorted(FACTORIES))
def client(
    request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> TestClient:
    monkeypatch.chdir(tmp_path)  # no stray .env; the gateway's web app is not built here
    app: FastAPI = FACTORIES[request.param](load_settings())
    # No lifespan: the pages and their files need neither Kafka nor PostgreSQL.
    return TestClient(app)


def _loaded(page: str) -> list[str]:
    return ASSET.findall(page) + SPEC.findall(page)


@pytest.mark.parametrize("path", ["/docs", "/redoc"])
def test_docs_pages_load_only_files_the_app_serves(client: TestClient, path: str) -> None:
    page = client.get(path)
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    urls = _loaded(page.text)
    assert any(url.endswith(".js") for url in urls), urls
    assert "/openapi.json" in urls
    assert "://" not in page.text, "nothing from another host (a CDN, Google Fonts)"
    for url in urls:
        assert url.startswith("/"), url
        assert not url.startswith("//"), url
        answer = client.get(url)
        assert answer.status_code == 200, url
        assert len(answer.content) > 0, url


def test_swagger_ui_gets_its_script_style_and_icon(client: TestClient) -> None:
    urls = _loaded(client.get("/docs").text)
    script = next(u for u in urls if u.endswith("swagger-ui-bundle.js"))
    style = next(u for u in urls if u.endswith(".css"))
    assert "SwaggerUIBundle" in client.get(script).text
    assert client.get(style).headers["content-type"].startswith("text/css")
    assert any(u.endswith(".png") for u in urls)


def test_the_oauth2_redirect_page_is_served(client: TestClient) -> None:
    answer = client.get("/docs/oauth2-redirect")
    assert answer.status_code == 200
    assert "oauth2" in answer.text.lower()
    assert "://" not in answer.text


def test_an_unknown_docs_file_is_a_plain_404(client: TestClient) -> None:
    assert client.get("/docs/static/nothing.js").status_code == 404


def test_the_docs_pages_stay_out_of_the_schema(client: TestClient) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    assert not [p for p in paths if p.startswith(("/docs", "/redoc"))]
