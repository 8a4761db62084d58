"""The web app's responses defend the browser: a strict CSP with no framing, nosniff, no
referrer; the production build ships no source maps, and the gateway serves none."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from gateway.app import create_app
from vori.settings import load_settings

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def web_dir(tmp_path: Path) -> Path:
    """A built web app as Vite lays it out, plus a stale source map."""
    (tmp_path / "assets").mkdir()
    (tmp_path / "index.html").write_text('<!doctype html><script src="/assets/a.js"></script>')
    (tmp_path / "assets" / "a.js").write_text("console.log(1)\n")
    (tmp_path / "assets" / "a.js.map").write_text('{"sources": ["../src/secret.ts"]}')
    return tmp_path


@pytest.fixture
def client(web_dir: Path) -> TestClient:
    # No lifespan: the web app and /config need neither Kafka nor PostgreSQL.
    settings = load_settings(host="127.0.0.1", gateway={"web_dir": web_dir}, ingest={"port": 8123})
    return TestClient(create_app(settings))


def _csp(headers: dict[str, str]) -> dict[str, str]:
    directives = [d.strip() for d in headers["content-security-policy"].split(";")]
    return {d.split()[0]: d.partition(" ")[2] for d in directives if d}


@pytest.mark.parametrize(
    "path", ["/", "/meetings/mtg_1", "/assets/a.js", "/api/v1/config", "/api/v1/nope"]
)
def test_every_response_carries_the_security_headers(client: TestClient, path: str) -> None:
    headers = client.get(path).headers
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["referrer-policy"] == "no-referrer"
    assert headers["x-frame-options"] == "DENY"
    csp = _csp(dict(headers))
    assert csp["frame-ancestors"] == "'none'"
    assert csp["default-src"] == "'self'"
    assert csp["script-src"] == "'self'", "no inline or foreign scripts in the web app"
    assert csp["object-src"] == "'none'"
    assert "unsafe" not in headers["content-security-policy"]


def test_the_policy_lets_the_app_reach_the_audio_socket(client: TestClient) -> None:
    csp = _csp(dict(client.get("/").headers))
    audio = client.get("/api/v1/config").json()["audio_ws_url"]
    assert audio == "ws://127.0.0.1:8123"
    assert csp["connect-src"].split() == ["'self'", audio]
    assert "microphone=(self)" in client.get("/").headers["permissions-policy"]


def test_api_docs_keep_working_but_cannot_be_framed(client: TestClient) -> None:
    page = client.get("/docs")
    assert page.status_code == 200
    csp = _csp(dict(page.headers))
    assert csp["frame-ancestors"] == "'none'"
    assert "://" not in page.text, "Swagger UI is served by the gateway, not a CDN"
    script = re.search(r'<script src="(/docs/static/[^"]+)"', page.text)
    assert script, page.text
    assert client.get(script.group(1)).status_code == 200
    assert "'self'" in csp["script-src"]


def test_the_gateway_never_serves_source_maps(client: TestClient) -> None:
    assert client.get("/assets/a.js").status_code == 200
    refused = client.get("/assets/a.js.map")
    assert refused.status_code == 404
    assert "secret.ts" not in refused.text


def test_the_production_build_has_no_source_maps() -> None:
    config = (REPO / "web" / "vite.config.ts").read_text()
    build = re.search(r"build:\s*\{([^}]*)\}", config)
    assert build, "vite.config.ts has a build section"
    assert re.search(r"sourcemap:\s*false", build.group(1)), build.group(1)
    dist = REPO / "web" / "dist"
    if not (dist / "index.html").exists():
        pytest.skip("web/dist is not built (make web)")
    assert not list(dist.rglob("*.map"))
    for script in dist.rglob("*.js"):
        assert "sourceMappingURL" not in script.read_text(errors="replace"), script
