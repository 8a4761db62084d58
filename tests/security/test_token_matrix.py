"""Every REST route of the gateway and every WebSocket, against every kind of bad token
and against a valid token of someone who is not a member (docs/protocol.md):

- missing, expired, signed with a wrong key, `alg: none` → 401 `{"detail": ...}` with
  `WWW-Authenticate: Bearer` (4401 on the sockets);
- a stranger's valid token on another user's meeting, board, card or column → 404, the
  same answer as for something that does not exist (4404 on the sockets); routes that
  name no resource answer the stranger without any of the other user's data.

The routes are read from the real FastAPI apps, so a new route is covered (or fails
here for want of a request body or a path value) without editing this file; the board
and card routes the gateway passes to kanban are read from kanban's app. Only the routes
in PUBLIC are skipped, and each of those must still exist. One stack (gateway, ingest,
kanban as processes, as `vori up` runs them) serves the whole module.
"""

from __future__ import annotations

import asyncio
import base64
import json
import re
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import jwt
import pytest
import websockets
from fastapi import routing
from pydantic import SecretStr
from starlette.routing import BaseRoute, WebSocketRoute

from gateway.app import create_app as create_gateway_app
from gateway.kanban_proxy import KANBAN_PREFIXES
from gateway.kanban_proxy import METHODS as PROXY_METHODS
from kanban.app import create_app as create_kanban_app
from tests.helpers.gateway import Account, create_meeting, register
from tests.helpers.ingest import START, expect_close
from tests.helpers.stack import JWT_SECRET, Stack
from vori.auth import Principal, issue_token
from vori.events import segment_id_for, stream_id_for
from vori.objectstore import LocalObjectStore, recordings_dir
from vori.recordings import CONTENT_TYPE, chunk_key, encode_flac
from vori.settings import Settings

# Routes anyone may call, by path: the probes, the metrics scrape (internal network
# only, docs/security.md), the API docs, sign-up, log-in, refresh and log-out, the client
# config and the web app's files.
PUBLIC = {
    "/healthz",
    "/readyz",
    "/metrics",
    "/openapi.json",
    "/docs",
    "/docs/oauth2-redirect",
    "/redoc",
    "/api/v1/auth/register",
    "/api/v1/auth/token",
    "/api/v1/auth/refresh",  # the refresh cookie is its credential (test_refresh_sessions.py)
    "/api/v1/auth/logout",
    "/api/v1/config",
    "/{path:path}",
}
# Kanban routes behind these gateway pass-through routes are listed one by one.
PROXY_PREFIXES = KANBAN_PREFIXES
INGEST_PATH = "/ingest/v1/meetings/{meeting_id}/audio"

# A public address, so that the target check passes without resolving a name.
WEBHOOK_URL = "https://93.184.215.14/hook"
# A body that passes validation, so the stranger's request reaches the access check.
BODIES: dict[tuple[str, str], dict[str, Any]] = {
    ("POST", "/api/v1/meetings"): {"title": "Mine", "language": "en", "board_id": "{board_id}"},
    ("POST", "/api/v1/meetings/{meeting_id}/members"): {"email": "{stranger_email}"},
    ("POST", "/api/v1/boards"): {"name": "My board"},
    ("PATCH", "/api/v1/boards/{board_id}"): {"name": "Taken over"},
    ("POST", "/api/v1/boards/{board_id}/members"): {"email": "{stranger_email}"},
    ("POST", "/api/v1/boards/{board_id}/columns"): {"name": "Mine"},
    ("PATCH", "/api/v1/boards/{board_id}/columns/{column_id}"): {"name": "Mine", "version": 1},
    ("POST", "/api/v1/cards"): {"board_id": "{board_id}", "title": "Injected"},
    ("PATCH", "/api/v1/cards/{card_id}"): {"title": "Edited", "version": 1},
    ("POST", "/api/v1/cards/{card_id}/move"): {
        "column_id": "{column_id}",
        "position": 0,
        "version": 1,
    },
    ("POST", "/api/v1/cards/{card_id}/archive"): {"version": 1},
    ("POST", "/api/v1/cards/{card_id}/restore"): {"version": 1},
    ("PATCH", "/api/v1/meetings/{meeting_id}/segments/{segment_id}"): {"text": "Edited"},
    ("PUT", "/api/v1/meetings/{meeting_id}/speakers"): {
        "stream_id": "{stream_id}",
        "label": "Someone",
    },
    ("PUT", "/api/v1/meetings/{meeting_id}/recordings/retention"): {"days": 1},
    ("POST", "/api/v1/meetings/{meeting_id}/uploads"): {"filename": "a.wav", "size_bytes": 10},
    ("POST", "/api/v1/meetings/{meeting_id}/retranscriptions"): {"model": "base"},
    ("POST", "/api/v1/webhooks"): {
        "board_id": "{board_id}",
        "url": WEBHOOK_URL,
        "events": ["meeting.ended"],
    },
}
# Routes that name no resource in their path but take one in the query.
QUERIES: dict[tuple[str, str], str] = {("GET", "/api/v1/cards"): "?board_id={board_id}"}

BAD_TOKENS = ("missing", "expired", "wrong-key", "alg-none")
REASONS = {
    "missing": "missing token",
    "expired": "token expired",
    "wrong-key": "invalid token",
    "alg-none": "invalid token",
}


@dataclass(frozen=True)
class Endpoint:
    """One method on one route, as the gateway serves it."""

    method: str
    path: str

    @property
    def names_a_resource(self) -> bool:
        return "{" in self.path or (self.method, self.path) in QUERIES or self._body_names_one

    @property
    def _body_names_one(self) -> bool:
        return "{board_id}" in json.dumps(BODIES.get((self.method, self.path), {}))

    def __str__(self) -> str:
        return f"{self.method} {self.path}"


def _flat(routes: list[BaseRoute]) -> list[Any]:
    """Every route, also those of included routers (FastAPI >= 0.120 nests them)."""
    iterate = getattr(routing, "iter_route_contexts", None)
    return list(iterate(routes)) if iterate is not None else list(routes)


def _http_routes(settings: Settings, app_factory: Any) -> list[Endpoint]:
    endpoints = []
    for route in _flat(create_app_routes(settings, app_factory)):
        methods = getattr(route, "methods", None)
        if not methods:
            continue
        endpoints += [Endpoint(m, route.path) for m in sorted(methods) if m != "HEAD"]
    return endpoints


def create_app_routes(settings: Settings, app_factory: Any) -> list[BaseRoute]:
    routes: list[BaseRoute] = app_factory(settings).routes
    return routes


def gateway_websocket_paths(settings: Settings) -> list[str]:
    return [
        route.path
        for route in _flat(create_app_routes(settings, create_gateway_app))
        if isinstance(getattr(route, "original_route", route), WebSocketRoute)
        or type(getattr(route, "original_route", route)).__name__ == "APIWebSocketRoute"
    ]


def protected_endpoints(settings: Settings) -> list[Endpoint]:
    """The gateway's REST endpoints less PUBLIC, with kanban's in place of the pass-through."""
    gateway = _http_routes(settings, create_gateway_app)
    proxied = {e for e in gateway if e.path.startswith(PROXY_PREFIXES)}
    kanban = [e for e in _http_routes(settings, create_kanban_app) if e.path not in PUBLIC]
    stray = [str(e) for e in kanban if not e.path.startswith(PROXY_PREFIXES)]
    assert not stray, f"kanban routes the gateway does not pass through: {stray}"
    own = [e for e in gateway if e not in proxied and e.path not in PUBLIC]
    return sorted(set(own + kanban), key=str)


# -- the stack and the people --------------------------------------------------------------


@dataclass
class World:
    stack: Stack
    client: httpx.Client
    victim: Account
    stranger: Account
    values: dict[str, str]
    secret_settings: Settings

    @property
    def missing(self) -> dict[str, str]:
        """The same names with ids that exist nowhere."""
        return {name: _missing(value) for name, value in self.values.items()}

    def fill(self, text: str, values: dict[str, str] | None = None) -> str:
        """`text` with each `{name}` replaced by the victim's (or the given) value of it."""
        chosen = self.values if values is None else values

        def value(match: re.Match[str]) -> str:
            name = match.group(1)
            assert name in chosen, f"no value for path parameter {name!r}: add one"
            return chosen[name]

        return re.sub(r"{(\w+)}", value, text)

    def fill_body(
        self, endpoint: Endpoint, values: dict[str, str] | None = None
    ) -> dict[str, Any] | None:
        body = BODIES.get((endpoint.method, endpoint.path))
        return None if body is None else json.loads(self.fill(json.dumps(body), values))

    def anonymised(self, answer: httpx.Response) -> tuple[int, str]:
        """Status and body with every victim's and made-up id replaced by `<id>`."""
        text = answer.text
        for value in [*self.values.values(), *self.missing.values()]:
            text = text.replace(value, "<id>")
        return answer.status_code, text


@pytest.fixture(scope="module")
def world(settings: Settings, tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    stack = Stack(settings, tmp_path_factory.mktemp("matrix"), "matrix")
    try:
        stack.start(["gateway", "stream-ingest", "kanban"])
        with httpx.Client(base_url=stack.gateway_url, timeout=30) as client:
            victim, stranger = register(client, "Victim"), register(client, "Stranger")
            # The stranger is a member of a meeting and owns a board: just not the victim's.
            _ok(client.post("/api/v1/boards", json={"name": "S"}, headers=stranger.headers))
            create_meeting(client, stranger)
            board = _ok(client.post("/api/v1/boards", json={"name": "V"}, headers=victim.headers))
            meeting = create_meeting(client, victim, board_id=board["id"])
            column = _ok(client.get(f"/api/v1/boards/{board['id']}", headers=victim.headers))[
                "columns"
            ][0]
            card = _ok(
                client.post(
                    "/api/v1/cards",
                    json={"board_id": board["id"], "title": "Secret plan"},
                    headers=victim.headers,
                )
            )
            webhook = _ok(
                client.post(
                    "/api/v1/webhooks",
                    json={"board_id": board["id"], "url": WEBHOOK_URL, "events": ["card.created"]},
                    headers=victim.headers,
                )
            )
            upload = _ok(
                client.post(
                    f"/api/v1/meetings/{meeting['id']}/uploads",
                    json={"filename": "call.wav", "size_bytes": 10},
                    headers=victim.headers,
                )
            )
            stream_id = stream_id_for(meeting["id"], victim.id)
            # Archived audio, so the victim can start a re-transcription (nothing runs it).
            LocalObjectStore(recordings_dir(stack.settings)).put(
                chunk_key(meeting["id"], stream_id, 0), encode_flac(bytes(3200)), CONTENT_TYPE
            )
            job = _ok(
                client.post(
                    f"/api/v1/meetings/{meeting['id']}/retranscriptions",
                    json={"model": "base"},
                    headers=victim.headers,
                )
            )
            notification = _victims_notification(client, victim)
            values = {
                "meeting_id": meeting["id"],
                "board_id": board["id"],
                "card_id": card["id"],
                "column_id": column["id"],
                "user_id": victim.id,
                "member_id": victim.id,
                "stranger_email": stranger.email,
                "stream_id": stream_id,
                "segment_id": segment_id_for(stream_id, 123457),
                # Anonymising replaces every value in answers: none as short as "0".
                "start_sample": "123457",
                "webhook_id": webhook["id"],
                "notification_id": notification,
                "upload_id": upload["upload_id"],
                "job_id": job["job_id"],
            }
            secret_settings = settings.model_copy(
                update={
                    "gateway": settings.gateway.model_copy(
                        update={"jwt_secret": SecretStr(JWT_SECRET)}
                    )
                }
            )
            yield World(stack, client, victim, stranger, values, secret_settings)
    finally:
        stack.stop()


def _victims_notification(client: httpx.Client, victim: Account) -> str:
    """A colleague adds the victim to a board and assigns them a card: a notification."""
    colleague = register(client, "Colleague")
    board = _ok(client.post("/api/v1/boards", json={"name": "C"}, headers=colleague.headers))
    _ok(
        client.post(
            f"/api/v1/boards/{board['id']}/members",
            json={"email": victim.email},
            headers=colleague.headers,
        )
    )
    _ok(
        client.post(
            "/api/v1/cards",
            json={"board_id": board["id"], "title": "For you", "assignee": victim.email},
            headers=colleague.headers,
        )
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        listing = _ok(client.get("/api/v1/notifications", headers=victim.headers))
        if listing["notifications"]:
            return str(listing["notifications"][0]["id"])
        time.sleep(0.2)
    raise AssertionError("the victim's notification never came")


def _missing(value: str) -> str:
    if "@" in value:
        return value
    if value.isdigit():
        return "987654321"
    return f"{value.split('_')[0]}_doesnotexist0000"


def _ok(answer: httpx.Response) -> dict[str, Any]:
    assert answer.is_success, answer.text
    body: dict[str, Any] = answer.json()
    return body


def _b64(data: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def bad_token(world: World, kind: str) -> str | None:
    """A token of the victim that must be refused."""
    who = world.victim
    if kind == "missing":
        return None
    if kind == "expired":
        past = datetime.now(UTC) - timedelta(seconds=world.secret_settings.gateway.jwt_ttl_s + 60)
        return issue_token(
            world.secret_settings.gateway, Principal(who.id, who.email, who.name), now=past
        )
    claims = jwt.decode(who.token, options={"verify_signature": False})
    if kind == "wrong-key":
        return jwt.encode(claims, "another-secret-of-at-least-32-bytes!!", algorithm="HS256")
    assert kind == "alg-none"
    return f"{_b64({'alg': 'none', 'typ': 'JWT'})}.{_b64(claims)}."


# -- REST ------------------------------------------------------------------------------------


def test_every_public_route_exists(settings: Settings) -> None:
    """A stale entry would hide nothing today but could excuse a new route tomorrow."""
    served = {e.path for e in _http_routes(settings, create_gateway_app)}
    assert served >= PUBLIC, PUBLIC - served


def _request(
    world: World, endpoint: Endpoint, token: str | None, values: dict[str, str] | None = None
) -> httpx.Response:
    headers = {} if token is None else {"Authorization": f"Bearer {token}"}
    url = world.fill(endpoint.path + QUERIES.get((endpoint.method, endpoint.path), ""), values)
    return world.client.request(
        endpoint.method, url, json=world.fill_body(endpoint, values), headers=headers
    )


def test_every_rest_route_refuses_every_bad_token_with_401(
    world: World, settings: Settings
) -> None:
    endpoints = protected_endpoints(settings)
    assert len(endpoints) > 20, [str(e) for e in endpoints]
    wrong = {}
    for endpoint in endpoints:
        for kind in BAD_TOKENS:
            answer = _request(world, endpoint, bad_token(world, kind))
            detail = answer.json().get("detail") if answer.content else None
            got = (answer.status_code, answer.headers.get("www-authenticate"))
            if got != (401, "Bearer") or not str(detail).startswith(REASONS[kind]):
                wrong[f"{endpoint} {kind}"] = (*got, detail)
    assert not wrong, wrong


def test_the_kanban_pass_through_refuses_bad_tokens_for_every_method(world: World) -> None:
    wrong = {}
    for prefix in PROXY_PREFIXES:
        for path in (prefix, f"{prefix}/anything/at/all"):
            for method in PROXY_METHODS:
                for kind in BAD_TOKENS:
                    token = bad_token(world, kind)
                    headers = {} if token is None else {"Authorization": f"Bearer {token}"}
                    answer = world.client.request(method, path, headers=headers)
                    if answer.status_code != 401:
                        wrong[f"{method} {path} {kind}"] = answer.status_code
    assert not wrong, wrong


def test_a_stranger_gets_the_404_of_a_missing_resource_on_every_route_naming_one(
    world: World, settings: Settings
) -> None:
    wrong: dict[str, object] = {}
    for endpoint in protected_endpoints(settings):
        if not endpoint.names_a_resource:
            continue
        answer = _request(world, endpoint, world.stranger.token)
        if answer.status_code != 404:  # a 422: add a valid body to BODIES
            wrong[str(endpoint)] = (answer.status_code, answer.text[:200])
            continue
        # Exactly the answer for something that does not exist, message included.
        nowhere = _request(world, endpoint, world.stranger.token, world.missing)
        if world.anonymised(answer) != world.anonymised(nowhere):
            wrong[str(endpoint)] = (world.anonymised(answer), world.anonymised(nowhere))
    assert not wrong, wrong
    # Nothing the stranger sent changed the victim's things.
    meeting = _ok(
        world.client.get(
            f"/api/v1/meetings/{world.values['meeting_id']}", headers=world.victim.headers
        )
    )
    assert meeting["status"] == "active"
    assert [m["user_id"] for m in meeting["members"]] == [world.victim.id]
    board = _ok(
        world.client.get(f"/api/v1/boards/{world.values['board_id']}", headers=world.victim.headers)
    )
    assert board["name"] == "V"
    [card] = [c for column in board["columns"] for c in column["cards"]]
    assert (card["title"], card["version"]) == ("Secret plan", 1)


def test_routes_that_name_no_resource_show_a_stranger_none_of_anothers_data(
    world: World, settings: Settings
) -> None:
    victims = [
        world.values[k] for k in ("meeting_id", "board_id", "card_id", "column_id", "webhook_id")
    ]
    victims += [world.victim.email, "Secret plan"]
    leaks = {}
    for endpoint in protected_endpoints(settings):
        if endpoint.names_a_resource:
            continue
        answer = _request(world, endpoint, world.stranger.token)
        assert answer.status_code < 500, (str(endpoint), answer.text)
        found = [v for v in victims if v in answer.text]
        if found:
            leaks[str(endpoint)] = found
    assert not leaks, leaks


# -- WebSockets -------------------------------------------------------------------------------


def _socket_urls(world: World, settings: Settings) -> dict[str, tuple[str, str]]:
    """Each WebSocket as (url, kind of first frame)."""
    ws_gateway = world.stack.gateway_url.replace("http", "ws", 1)
    ws_ingest = world.stack.ingest_url.replace("http", "ws", 1)
    paths = gateway_websocket_paths(settings)
    assert sorted(paths) == [
        "/api/v1/meetings/{meeting_id}/events",
        "/api/v1/notifications/events",
    ], paths
    urls = {path: (ws_gateway + world.fill(path), "auth") for path in paths}
    urls[INGEST_PATH] = (ws_ingest + world.fill(INGEST_PATH), "start")
    return urls


def _first_frame(kind: str, token: str | None) -> str:
    message: dict[str, Any] = {"type": "auth"} if kind == "auth" else dict(START)
    if token is not None:
        message["token"] = token
    return json.dumps(message)


async def _close_of(url: str, frame: str) -> tuple[int, str]:
    ws = await websockets.connect(url)
    await ws.send(frame)
    return await expect_close(ws)


def test_every_websocket_refuses_bad_tokens_with_4401_and_strangers_with_4404(
    world: World, settings: Settings
) -> None:
    cases = []
    for path, (url, kind) in _socket_urls(world, settings).items():
        for bad in BAD_TOKENS:
            cases.append((f"{path} {bad}", url, _first_frame(kind, bad_token(world, bad)), 4401))
        if "{" in path:  # the person's own channel names nothing of anyone else
            cases.append((f"{path} stranger", url, _first_frame(kind, world.stranger.token), 4404))

    async def run_all() -> list[tuple[int, str]]:
        return await asyncio.gather(*(_close_of(url, frame) for _n, url, frame, _c in cases))

    closes = asyncio.run(run_all())
    got = {name: code for (name, *_), (code, _reason) in zip(cases, closes, strict=True)}
    assert got == {name: code for name, _u, _f, code in cases}


def test_the_victims_own_token_opens_every_socket(world: World, settings: Settings) -> None:
    """The refusals above are not a socket that refuses everyone."""

    async def opens(url: str, kind: str) -> str:
        async with websockets.connect(url) as ws:
            await ws.send(_first_frame(kind, world.victim.token))
            kind_of_answer: str = json.loads(await asyncio.wait_for(ws.recv(), 10))["type"]
            return kind_of_answer

    urls = _socket_urls(world, settings)
    answers = [asyncio.run(opens(url, kind)) for url, kind in urls.values()]
    assert answers == ["ready"] * 3
