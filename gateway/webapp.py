"""The built web app at `/`, with the single-page-app fallback to index.html.

Registered after every API route, so the API, /docs, health, metrics and the
WebSockets take precedence; the directory is looked at per request, so building the
web app while the gateway runs needs no restart.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, HTTPException, status
from fastapi.responses import FileResponse

# Paths that are never the web app: an unknown one is a JSON 404, not index.html.
RESERVED = ("api/", "ingest/", "docs", "redoc", "openapi.json", "metrics", "healthz", "readyz")
# Vite puts content-hashed files under assets/: cache them for good, never index.html.
IMMUTABLE = "public, max-age=31536000, immutable"


def web_app_router(web_dir: Path) -> APIRouter:
    """A catch-all GET route serving files of `web_dir`, or its index.html."""
    router = APIRouter(include_in_schema=False)

    @router.api_route("/{path:path}", methods=["GET", "HEAD"])
    async def web_app(path: str) -> FileResponse:
        if path.startswith(RESERVED):
            raise HTTPException(status.HTTP_404_NOT_FOUND, f"no such endpoint: /{path}")
        if path.endswith(".map"):
            # Source maps would publish the sources; a stale build may still hold some.
            raise HTTPException(status.HTTP_404_NOT_FOUND, "source maps are not served")
        root = web_dir.resolve()
        index = root / "index.html"
        if not index.is_file():
            raise HTTPException(
                status.HTTP_404_NOT_FOUND,
                f"the web app is not built ({index} is missing): build it in web/",
            )
        candidate = (root / path).resolve()
        if path and candidate.is_relative_to(root) and candidate.is_file():
            cache = IMMUTABLE if path.startswith("assets/") else "no-cache"
            return FileResponse(candidate, headers={"Cache-Control": cache})
        return FileResponse(index, headers={"Cache-Control": "no-cache"})

    return router
