"""Print the gateway's OpenAPI schema as JSON without starting it: `python -m
gateway.openapi_dump`. `make api-types` turns it into the web app's TypeScript types."""

from __future__ import annotations

import json
import sys
from typing import Any

from gateway.app import create_app
from vori.settings import Settings


def openapi_schema() -> dict[str, Any]:
    """The schema of every documented route; building the app touches no database or broker."""
    # The schema does not depend on settings; loopback and no .env keep a deployment's
    # environment (say a public VORI_HOST with the default token secret) from refusing it.
    settings = Settings(_env_file=None, host="127.0.0.1")
    return create_app(settings).openapi()


def schema_json() -> str:
    """The schema as stable, readable JSON."""
    return json.dumps(openapi_schema(), indent=2, ensure_ascii=False) + "\n"


if __name__ == "__main__":
    sys.stdout.write(schema_json())
