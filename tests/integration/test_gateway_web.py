"""The kanban pass-through and the built web app, through the real gateway app."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import uvicorn
from fastapi.testclient import TestClient
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from gateway.app import create_app
from tests.helpers.gateway import settings_for_gateway
from tests.helpers.ports import free_port
from vori.auth import Principal, issue_token
from vori.settings import Settings


def _bearer(settings: Settings) -> dict[str, str]:
    """A valid token: the gateway checks it before passing anything on."""
    token = issue_token(settings.gateway, Principal("usr_web", "web@example.com", "Web"))
    return {"Authorization": f"Bearer {token}"}


async def _echo(request: Request) -> JSONResponse:
    """A stand-in upstream that shows what it received (the proxy is what is tested here)."""
    body = await request.body()
    return JSONResponse(
        {
            "method": request.method,
            "path": request.url.path,
            "query": request.url.query,
            "body": body.decode(),
            "authorization": request.headers.get("authorization"),
            "if_match": request.headers.get("if-match"),
            "cookie": request.headers.get("cookie"),
        },
        status_code=409 if request.headers.get("if-match") == '"stale"' else 200,
        headers={"ETag": '"7"'},
    )


@pytest.fixture
def upstream() -> Iterator[str]:
    port = free_port()
    app = Starlette(
        routes=[Route("/{path:path}", _echo, methods=["GET", "POST", "PATCH", "DELETE"])]
    )
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.02)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(10)


def test_kanban_requests_are_passed_through(settings: Settings, upstream: str) -> None:
    auth = _bearer(settings)
    with TestClient(create_app(settings_for_gateway(settings, kanban_url=upstream))) as client:
        answer = client.patch(
            "/api/v1/cards/card_1?expand=history",
            content=json.dumps({"column": "Done"}),
            headers={
                **auth,
                "If-Match": '"6"',
                "Content-Type": "application/json",
                "Cookie": "session=secret",
            },
        )
        assert answer.status_code == 200
        assert answer.headers["etag"] == '"7"'
        assert answer.json() == {
            "method": "PATCH",
            "path": "/api/v1/cards/card_1",
            "query": "expand=history",
            "body": '{"column": "Done"}',
            "authorization": auth["Authorization"],
            "if_match": '"6"',
            "cookie": None,
        }
        assert client.get("/api/v1/boards", headers=auth).json()["path"] == "/api/v1/boards"
        conflict = client.patch("/api/v1/cards/card_1", headers={**auth, "If-Match": '"stale"'})
        assert conflict.status_code == 409


def test_kanban_down_answers_502_with_a_message(settings: Settings) -> None:
    with TestClient(create_app(settings_for_gateway(settings))) as client:
        answer = client.get("/api/v1/boards", headers=_bearer(settings))
    assert answer.status_code == 502
    assert answer.json()["detail"].startswith("kanban service unavailable")


def test_web_app_is_served_with_spa_fallback(settings: Settings, tmp_path: Path) -> None:
    (tmp_path / "assets").mkdir()
    (tmp_path / "index.html").write_text("<!doctype html><title>vori</title>")
    (tmp_path / "assets" / "app-1a2b.js").write_text("console.log('vori')")
    (tmp_path.parent / "secret.txt").write_text("not for the web")
    client = TestClient(create_app(settings_for_gateway(settings, web_dir=tmp_path)))

    index = client.get("/")
    assert index.status_code == 200
    assert "<title>vori</title>" in index.text
    assert index.headers["cache-control"] == "no-cache"
    asset = client.get("/assets/app-1a2b.js")
    assert asset.text == "console.log('vori')"
    assert "immutable" in asset.headers["cache-control"]
    # A client-side route falls back to index.html; API paths never do.
    assert "<title>vori</title>" in client.get("/meetings/mtg_1/live").text
    unknown_api = client.get("/api/v1/nothing-here")
    assert unknown_api.status_code == 404
    assert unknown_api.headers["content-type"].startswith("application/json")
    assert client.get("/api/v1/config").json()["api_version"] == "v1"
    assert client.get("/docs").status_code == 200
    assert "not for the web" not in client.get("/..%2fsecret.txt").text
    assert "not for the web" not in client.get("/assets/../../secret.txt").text


def test_without_a_built_web_app_the_root_says_so(settings: Settings, tmp_path: Path) -> None:
    client = TestClient(create_app(settings_for_gateway(settings, web_dir=tmp_path / "missing")))
    answer = client.get("/")
    assert answer.status_code == 404
    assert "not built" in answer.json()["detail"]


def test_openapi_documents_the_v1_api(settings: Settings) -> None:
    paths = TestClient(create_app(settings)).get("/openapi.json").json()["paths"]
    for path in (
        "/api/v1/auth/register",
        "/api/v1/auth/token",
        "/api/v1/me",
        "/api/v1/meetings",
        "/api/v1/meetings/{meeting_id}",
        "/api/v1/meetings/{meeting_id}/members",
        "/api/v1/meetings/{meeting_id}/end",
        "/api/v1/meetings/{meeting_id}/transcript",
        "/api/v1/meetings/{meeting_id}/summary",
        "/api/v1/config",
    ):
        assert path in paths, path


def test_web_bundle_is_sent_compressed_to_browsers_that_accept_it(
    settings: Settings, tmp_path: Path
) -> None:
    (tmp_path / "assets").mkdir()
    (tmp_path / "index.html").write_text("<!doctype html><title>vori</title>")
    bundle = "export const words = [" + ",".join(f"'w{i}'" for i in range(5000)) + "];"
    (tmp_path / "assets" / "app-9z.js").write_text(bundle)
    client = TestClient(create_app(settings_for_gateway(settings, web_dir=tmp_path)))

    compressed = client.get("/assets/app-9z.js", headers={"Accept-Encoding": "gzip"})
    assert compressed.headers["content-encoding"] == "gzip"
    assert compressed.text == bundle  # the client decompresses transparently
    plain = client.get("/assets/app-9z.js", headers={"Accept-Encoding": "identity"})
    assert "content-encoding" not in plain.headers
    assert plain.text == bundle
