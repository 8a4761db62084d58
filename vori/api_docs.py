"""/docs (Swagger UI) and /redoc (ReDoc) served from files vori ships, not from a CDN.

FastAPI's own pages load their JavaScript and CSS from a CDN, so on a self-hosted box
without internet they stay blank. The files come from the fastapi-offline package
(Swagger UI 5 and ReDoc 2, pinned in requirements.lock) and are served under
/docs/static/, so the gateway's docs policy (gateway/security_headers.py) covers them.
An app is created with `docs_url=None, redoc_url=None` and then calls `serve_api_docs`.
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.openapi.docs import (
    get_redoc_html,
    get_swagger_ui_html,
    get_swagger_ui_oauth2_redirect_html,
)
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

DOCS_URL = "/docs"
REDOC_URL = "/redoc"
STATIC_URL = "/docs/static"
# The package's data folder: swagger-ui-bundle.js, swagger-ui.css, redoc.standalone.js,
# favicon.png.
STATIC_DIR = Path(str(files("fastapi_offline") / "static"))


def serve_api_docs(app: FastAPI) -> None:
    """Add /docs, its OAuth2 redirect page, /redoc and their static files to `app`.

    Call it before any catch-all route, so that these paths are not taken by it.
    """
    if app.openapi_url is None:
        return  # no schema, nothing to show
    openapi_url = app.openapi_url
    oauth2_redirect_url = app.swagger_ui_oauth2_redirect_url
    app.mount(STATIC_URL, StaticFiles(directory=STATIC_DIR), name="api-docs-static")

    @app.get(DOCS_URL, include_in_schema=False)
    async def swagger_ui(request: Request) -> HTMLResponse:
        root = request.scope.get("root_path", "")
        return get_swagger_ui_html(
            openapi_url=f"{root}{openapi_url}",
            title=f"{app.title} - Swagger UI",
            swagger_js_url=f"{root}{STATIC_URL}/swagger-ui-bundle.js",
            swagger_css_url=f"{root}{STATIC_URL}/swagger-ui.css",
            swagger_favicon_url=f"{root}{STATIC_URL}/favicon.png",
            oauth2_redirect_url=f"{root}{oauth2_redirect_url}" if oauth2_redirect_url else None,
            init_oauth=app.swagger_ui_init_oauth,
            swagger_ui_parameters=app.swagger_ui_parameters,
        )

    if oauth2_redirect_url:

        @app.get(oauth2_redirect_url, include_in_schema=False)
        async def swagger_ui_oauth2_redirect() -> HTMLResponse:
            return get_swagger_ui_oauth2_redirect_html()

    @app.get(REDOC_URL, include_in_schema=False)
    async def redoc(request: Request) -> HTMLResponse:
        root = request.scope.get("root_path", "")
        return get_redoc_html(
            openapi_url=f"{root}{openapi_url}",
            title=f"{app.title} - ReDoc",
            redoc_js_url=f"{root}{STATIC_URL}/redoc.standalone.js",
            redoc_favicon_url=f"{root}{STATIC_URL}/favicon.png",
            with_google_fonts=False,  # the fonts too would come from the internet
        )
