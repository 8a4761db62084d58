"""The refresh cookie's attributes: httpOnly, SameSite=Strict, the auth path only, and Secure
whenever browsers reach the gateway over https (directly, or behind the TLS proxy)."""

from __future__ import annotations

import pytest
from fastapi import Request, Response

from gateway.auth_sessions import COOKIE, clear_cookie, set_cookie
from vori.settings import GatewaySettings


def _request(scheme: str) -> Request:
    return Request(
        {
            "type": "http",
            "scheme": scheme,
            "method": "POST",
            "path": "/api/v1/auth/token",
            "headers": [],
            "server": ("vori.example", 443 if scheme == "https" else 80),
        }
    )


def _cookie(response: Response) -> str:
    return response.headers["set-cookie"]


@pytest.mark.parametrize(
    ("scheme", "public_url", "secure"),
    [
        ("http", None, False),
        ("https", None, True),
        ("http", "https://vori.example", True),  # TLS ends at the proxy
        ("http", "http://10.0.0.5:8000", False),
    ],
)
def test_the_cookie_is_secure_exactly_when_browsers_use_https(
    scheme: str, public_url: str | None, secure: bool
) -> None:
    gateway = GatewaySettings(public_url=public_url, refresh_ttl_s=3600)
    response = Response()
    set_cookie(response, _request(scheme), gateway, "value-123")
    header = _cookie(response)
    attributes = [part.strip().lower() for part in header.split(";")]
    assert attributes[0] == f"{COOKIE}=value-123"
    assert "httponly" in attributes
    assert "samesite=strict" in attributes
    assert "path=/api/v1/auth" in attributes
    assert "max-age=3600" in attributes
    assert ("secure" in attributes) is secure


def test_clearing_the_cookie_expires_it_on_the_same_path() -> None:
    response = Response()
    clear_cookie(response, _request("https"), GatewaySettings())
    attributes = [part.strip().lower() for part in _cookie(response).split(";")]
    assert attributes[0] in (f'{COOKIE}=""', f"{COOKIE}=")
    assert "max-age=0" in attributes
    assert "path=/api/v1/auth" in attributes
    assert "secure" in attributes
