"""Security headers on every HTTP response of the gateway (the web app, the API, /docs).

The web app is one origin's static files: its policy allows scripts, styles, images and
workers from that origin only, connections to it and to the audio WebSocket, and no
framing anywhere. /docs and /redoc serve their UI from the gateway (vori/api_docs.py) with
an inline starter script, so they get a looser policy of their own.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from starlette.types import ASGIApp, Message, Receive, Scope, Send

DOCS_PATHS = ("/docs", "/redoc")


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def web_app_policy(audio_ws_url: str) -> str:
    """The Content-Security-Policy of the web app; `audio_ws_url` is where audio goes."""
    return "; ".join(
        (
            "default-src 'self'",
            "script-src 'self'",
            "style-src 'self'",
            "img-src 'self' data:",
            "font-src 'self'",
            "media-src 'self' blob:",
            "worker-src 'self'",
            # 'self' covers the events WebSocket of the same origin; audio may go elsewhere.
            f"connect-src 'self' {_origin(audio_ws_url)}",
            "object-src 'none'",
            "base-uri 'none'",
            "form-action 'self'",
            "frame-ancestors 'none'",
        )
    )


def docs_policy() -> str:
    """The Content-Security-Policy of the OpenAPI pages: Swagger UI and ReDoc start from
    inline scripts and styles; ReDoc runs its search in a worker made from a blob."""
    return "; ".join(
        (
            "default-src 'self'",
            "script-src 'self' 'unsafe-inline'",
            "style-src 'self' 'unsafe-inline'",
            "font-src 'self'",
            "img-src 'self' data:",
            "worker-src 'self' blob:",
            "connect-src 'self'",
            "object-src 'none'",
            "base-uri 'none'",
            "frame-ancestors 'none'",
        )
    )


def common_headers() -> list[tuple[bytes, bytes]]:
    """Headers every response carries, whatever it is."""
    return [
        (b"x-content-type-options", b"nosniff"),
        (b"referrer-policy", b"no-referrer"),
        (b"x-frame-options", b"DENY"),  # frame-ancestors for browsers without CSP 2
        (b"cross-origin-opener-policy", b"same-origin"),
        # The capture page needs the microphone of its own origin; nothing else does.
        (b"permissions-policy", b"microphone=(self), camera=(), geolocation=(), payment=()"),
    ]


class SecurityHeadersMiddleware:
    """Adds the security headers to every HTTP response; WebSockets pass untouched."""

    def __init__(self, app: ASGIApp, audio_ws_url: str) -> None:
        self.app = app
        self.web = [
            *common_headers(),
            (b"content-security-policy", web_app_policy(audio_ws_url).encode()),
        ]
        self.docs = [*common_headers(), (b"content-security-policy", docs_policy().encode())]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope.get("path", "")
        extra = self.docs if path.startswith(DOCS_PATHS) else self.web

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                names = {name.lower() for name, _ in message.get("headers", [])}
                headers = list(message.get("headers", []))
                headers += [(name, value) for name, value in extra if name not in names]
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_headers)
