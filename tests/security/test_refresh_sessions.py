"""Browser sign-ins: the refresh cookie that log-in and register set, its rotation at each
`POST /api/v1/auth/refresh`, reuse of a rotated or revoked cookie refused (and the whole
sign-in ended), log-out; bearer tokens of API clients unchanged."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator

import httpx
import pytest

from tests.helpers.gateway import GatewayServer, register, serve_gateway
from vori.settings import Settings

COOKIE = "vori_refresh"
PASSWORD = "correct horse battery"
GRACE_S = 1.0  # a used cookie still renews this long after its use (a lost answer)


@pytest.fixture(scope="module")
def gateway(settings: Settings) -> Iterator[GatewayServer]:
    yield from serve_gateway(settings, refresh_reuse_grace_s=GRACE_S)


def _browser(gateway: GatewayServer) -> httpx.Client:
    return httpx.Client(base_url=gateway.url, timeout=30)


def _sign_in(client: httpx.Client, email: str) -> httpx.Response:
    answer = client.post("/api/v1/auth/token", data={"username": email, "password": PASSWORD})
    assert answer.status_code == 200, answer.text
    return answer


def _refresh(client: httpx.Client, cookie: str | None = None) -> httpx.Response:
    if cookie is not None:
        client.cookies.clear()
        client.cookies.set(COOKIE, cookie, path="/api/v1/auth")
    return client.post("/api/v1/auth/refresh")


def test_log_in_sets_an_httponly_strict_cookie_scoped_to_the_auth_path(
    gateway: GatewayServer,
) -> None:
    with _browser(gateway) as client:
        account = register(client, "Cookie")
        answer = _sign_in(client, account.email)
    header = answer.headers["set-cookie"]
    parts = {p.strip().split("=")[0].lower() for p in header.split(";")}
    assert header.startswith(f"{COOKIE}=")
    assert {"httponly", "path", "max-age"} <= parts, header
    assert "samesite=strict" in header.lower(), header
    assert "path=/api/v1/auth" in header.lower(), header
    assert "secure" not in parts  # plain http here; over https (or an https public URL) it is
    assert answer.json()["expires_in"] == gateway.settings.gateway.jwt_ttl_s


def test_refresh_gives_a_working_access_token_and_rotates_the_cookie(
    gateway: GatewayServer,
) -> None:
    with _browser(gateway) as client:
        account = register(client, "Rotate")
        _sign_in(client, account.email)
        first = client.cookies[COOKIE]
        answer = _refresh(client)
        assert answer.status_code == 200, answer.text
        second = client.cookies[COOKIE]
        assert second != first
        token = answer.json()["access_token"]
        me = client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
        assert me.status_code == 200
        assert me.json()["email"] == account.email
        # The new cookie works once more; the old one is refused and ends the whole sign-in.
        assert _refresh(client).status_code == 200
        third = client.cookies[COOKIE]
        time.sleep(GRACE_S + 0.5)
        reused = _refresh(client, first)
        assert reused.status_code == 401, reused.text
        assert "used twice" in reused.json()["detail"]
        assert _refresh(client, third).status_code == 401  # the family was revoked
        # A fresh log-in is a new sign-in that works; the account's bearer token too.
        _sign_in(client, account.email)
        assert _refresh(client).status_code == 200
        assert client.get("/api/v1/me", headers=account.headers).status_code == 200


def test_a_reload_that_lost_the_new_cookie_stays_signed_in(gateway: GatewayServer) -> None:
    """The answer carrying the successor never arrived (the page reloaded mid-request): the
    old cookie, presented again at once, still renews instead of ending the sign-in."""
    with _browser(gateway) as client:
        account = register(client, "Reload")
        _sign_in(client, account.email)
        old = client.cookies[COOKIE]
        assert _refresh(client).status_code == 200  # its successor is "lost"
        again = _refresh(client, old)
        assert again.status_code == 200, again.text
        assert _refresh(client).status_code == 200  # and the chain goes on from there


def test_register_signs_the_browser_in(gateway: GatewayServer) -> None:
    with _browser(gateway) as client:
        email = f"new-{uuid.uuid4().hex[:8]}@example.com"
        body = {"email": email, "password": PASSWORD, "display_name": "New"}
        assert client.post("/api/v1/auth/register", json=body).status_code == 201
        answer = _refresh(client)
        assert answer.status_code == 200, answer.text
        token = answer.json()["access_token"]
        me = client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
        assert me.json()["email"] == email


def test_log_out_revokes_the_cookie(gateway: GatewayServer) -> None:
    with _browser(gateway) as client:
        account = register(client, "Leave")
        _sign_in(client, account.email)
        cookie = client.cookies[COOKIE]
        out = client.post("/api/v1/auth/logout")
        assert out.status_code == 204
        assert COOKIE not in client.cookies  # cleared in the browser
        again = _refresh(client, cookie)  # and dead on the server for whoever kept a copy
        assert again.status_code == 401
        assert "sign in again" in again.json()["detail"]


def test_refresh_without_a_cookie_answers_204_and_with_a_forged_one_401(
    gateway: GatewayServer,
) -> None:
    """No cookie is a visitor who has not signed in (the web app asks on every load)."""
    with _browser(gateway) as client:
        none = _refresh(client)
        assert none.status_code == 204
        assert not none.content
        forged = _refresh(client, "forged-value")
    assert forged.status_code == 401
    assert "unknown refresh token" in forged.json()["detail"]


def test_a_log_in_sent_by_another_site_sets_no_cookie(gateway: GatewayServer) -> None:
    """Login CSRF: a hostile page's form must not sign the browser into another account."""
    with _browser(gateway) as client:
        account = register(client, "Csrf")
        client.cookies.clear()
        answer = client.post(
            "/api/v1/auth/token",
            data={"username": account.email, "password": PASSWORD},
            headers={"Sec-Fetch-Site": "cross-site"},
        )
        assert answer.status_code == 200  # the token still (useless to the other site)
        assert "set-cookie" not in answer.headers
        body = {"email": f"x-{account.email}", "password": PASSWORD, "display_name": "X"}
        created = client.post(
            "/api/v1/auth/register", json=body, headers={"Sec-Fetch-Site": "cross-site"}
        )
        assert created.status_code == 201, created.text
        assert "set-cookie" not in created.headers
        same = client.post(
            "/api/v1/auth/token",
            data={"username": account.email, "password": PASSWORD},
            headers={"Sec-Fetch-Site": "same-origin"},
        )
        assert "set-cookie" in same.headers
