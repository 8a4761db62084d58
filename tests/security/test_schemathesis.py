"""schemathesis over the live OpenAPI schemas: no request, however malformed, gets a 5xx.

The gateway and kanban run as processes, as `vori up` runs them. Every operation of the
gateway's `/openapi.json` is fuzzed with a valid token, and so is every operation of
kanban's schema that the gateway passes through (`/api/v1/boards`, `/api/v1/cards`),
sent to the gateway as a browser would. schemathesis generates both valid and invalid
inputs (wrong types, missing fields, odd strings such as NUL bytes); the answer must be
anything but a server error.

Ids in paths are generated (mostly 404s, but odd strings reach the database lookups) or,
for about half the cases, replaced by the ids of real resources of the caller, so the
generated bodies and queries reach the code behind the access checks. Erasing a meeting
takes a throwaway meeting, so the real one lives through the run.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis import APIOperation, BaseSchema, GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.core.result import Err

from tests.helpers.gateway import Account, add_member, create_meeting, register, wait_for
from tests.helpers.stack import Stack
from vori.settings import Settings

EXAMPLES = 12  # per operation; ~35 operations, about half a minute in all on a busy machine
PROXIED = r"^/api/v1/(boards|cards)"
ERASE = "/api/v1/meetings/{meeting_id}"
READINESS = "/readyz"
Operation = APIOperation[Any, Any, Any, Any]
Case = schemathesis.Case[Any]

# An upload part's body (PATCH .../uploads/{upload_id}) is raw bytes: any bytes, any length.
schemathesis.openapi.media_type("application/offset+octet-stream", st.binary(max_size=4096))


@dataclass
class Target:
    """The running stack, the fuzzing account and its real resources."""

    stack: Stack
    client: httpx.Client
    owner: Account
    ids: dict[str, str]

    def throwaway_meeting(self) -> str:
        meeting_id: str = create_meeting(self.client, self.owner, title="To be erased")["id"]
        return meeting_id


@pytest.fixture(scope="module")
def target(settings: Settings, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Target]:
    stack = Stack(settings, tmp_path_factory.mktemp("schemathesis"), "schemathesis")
    try:
        stack.start(["gateway", "kanban"])
        ready = f"{stack.gateway_url}/readyz"
        wait_for(lambda: httpx.get(ready, timeout=5).status_code == 200, 60, "readiness")
        with httpx.Client(base_url=stack.gateway_url, timeout=30) as client:
            owner, member = register(client, "Fuzz"), register(client, "Member")
            board = client.post("/api/v1/boards", json={"name": "Fuzzed"}, headers=owner.headers)
            assert board.status_code == 201, board.text
            meeting = create_meeting(client, owner, board_id=board.json()["id"])
            add_member(client, owner, meeting["id"], member)
            card = client.post(
                "/api/v1/cards",
                json={"board_id": board.json()["id"], "title": "Fuzzed card"},
                headers=owner.headers,
            )
            assert card.status_code == 201, card.text
            ids = {
                "meeting_id": meeting["id"],
                "board_id": board.json()["id"],
                "column_id": board.json()["columns"][0]["id"],
                "card_id": card.json()["id"],
                "user_id": member.id,
                "member_id": member.id,
            }
            yield Target(stack, client, owner, ids)
    except BaseException:
        print(stack.tail())
        raise
    finally:
        stack.stop()


FUZZ_SETTINGS = settings(
    max_examples=EXAMPLES,
    deadline=None,
    database=None,  # nothing written into the work tree; each run draws afresh
    phases=[Phase.explicit, Phase.generate],  # a failure is reported as found, unshrunk
    suppress_health_check=list(HealthCheck),
)


def _strategy(operation: Operation, ids: dict[str, str]) -> st.SearchStrategy[Case]:
    """Valid and invalid inputs, with generated ids in the path or the caller's real ones."""
    real = {name: ids[name] for name in re.findall(r"{(\w+)}", operation.path) if name in ids}
    strategies = [
        operation.as_strategy(mode, path_parameters=path)
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)
        for path in ((None, real) if real else (None,))
    ]
    return st.one_of(strategies)


def _server_errors(target: Target, schema: BaseSchema) -> tuple[list[str], dict[str, str]]:
    """The operations fuzzed, and each one that answered a server error with the case."""
    fuzzed: list[str] = []
    failures: dict[str, str] = {}
    for result in schema.get_all_operations():
        if isinstance(result, Err):  # a part of the schema schemathesis cannot read
            failures[result.err().label] = str(result.err())
            continue
        operation = result.ok()
        fuzzed.append(operation.label)

        @FUZZ_SETTINGS
        @given(case=_strategy(operation, target.ids))
        def fuzz(case: Case) -> None:
            real = (case.path_parameters or {}).get("meeting_id") == target.ids["meeting_id"]
            if case.method == "DELETE" and case.path == ERASE and real:
                # Erasing takes a throwaway meeting, so the real one lives through the run.
                case.path_parameters = {"meeting_id": target.throwaway_meeting()}
            if case.path == READINESS:  # 503 is its answer while a dependency is down
                answer = case.call(base_url=target.stack.gateway_url, timeout=30)
                assert answer.status_code in (200, 503), answer.text
                return
            case.call_and_validate(
                base_url=target.stack.gateway_url,
                headers=target.owner.headers,
                checks=[not_a_server_error],
                timeout=30,
            )

        try:
            fuzz()
        except (AssertionError, BaseExceptionGroup) as exc:  # collected: every operation runs
            failures[operation.label] = str(exc)[:2000]
    return fuzzed, failures


def test_no_gateway_operation_answers_a_server_error(target: Target) -> None:
    schema = schemathesis.openapi.from_url(f"{target.stack.gateway_url}/openapi.json", timeout=30)
    fuzzed, failures = _server_errors(target, schema)
    assert len(fuzzed) >= 20, fuzzed  # the whole schema, not a part of it
    assert not failures, "\n\n".join(f"{k}:\n{v}" for k, v in failures.items())


def test_no_board_or_card_operation_answers_a_server_error(target: Target) -> None:
    """kanban's own schema; its board and card operations are called through the gateway."""
    schema = schemathesis.openapi.from_url(f"{target.stack.kanban_url}/openapi.json", timeout=30)
    fuzzed, failures = _server_errors(target, schema.include(path_regex=PROXIED))
    assert len(fuzzed) >= 10, fuzzed
    assert not failures, "\n\n".join(f"{k}:\n{v}" for k, v in failures.items())
