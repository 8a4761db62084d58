"""The web app's API types are generated from the services' OpenAPI schemas and checked in;
they must match what the generator makes of today's schemas (`make api-types`)."""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from gateway.openapi_dump import schema_json as gateway_schema
from kanban.openapi_dump import schema_json as kanban_schema

ROOT = Path(__file__).resolve().parents[2]
GENERATOR = ROOT / "web" / "node_modules" / ".bin" / "openapi-typescript"


@pytest.mark.parametrize(
    ("schema", "checked_in"),
    [(gateway_schema, "gateway-schema.d.ts"), (kanban_schema, "kanban-schema.d.ts")],
    ids=["gateway", "kanban"],
)
def test_checked_in_api_types_match_the_openapi_schema(
    schema: Callable[[], str], checked_in: str
) -> None:
    if not GENERATOR.exists():
        pytest.skip("web/node_modules is absent: `make web` installs openapi-typescript")
    generated = subprocess.run(
        [str(GENERATOR)], input=schema(), capture_output=True, text=True, check=True, timeout=60
    ).stdout
    current = (ROOT / "web" / "src" / "api" / checked_in).read_text()
    assert generated == current, f"web/src/api/{checked_in} is stale: run `make api-types`"
