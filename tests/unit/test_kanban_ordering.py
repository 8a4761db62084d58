"""Card and column ordering, and the version a client expects (If-Match)."""

from __future__ import annotations

import pytest

from kanban.errors import InvalidRequestError, PreconditionRequiredError
from kanban.ordering import place, without
from kanban.preconditions import etag, expected_version


def test_place_moves_within_and_inserts_from_outside() -> None:
    assert place(["a", "b", "c"], "a", 2) == ["b", "c", "a"]
    assert place(["a", "b", "c"], "c", 0) == ["c", "a", "b"]
    assert place(["a", "b"], "x", 1) == ["a", "x", "b"]


def test_place_clamps_and_appends() -> None:
    assert place(["a", "b"], "x", 99) == ["a", "b", "x"]
    assert place(["a", "b"], "x", None) == ["a", "b", "x"]
    assert place([], "x", 5) == ["x"]


def test_without_closes_the_gap() -> None:
    assert without(["a", "b", "c"], "b") == ["a", "c"]


@pytest.mark.parametrize("header", ['"3"', 'W/"3"', "3", ' "3" '])
def test_if_match_forms(header: str) -> None:
    assert expected_version(header, None) == 3


def test_version_from_the_body_and_from_both_when_they_agree() -> None:
    assert expected_version(None, 4) == 4
    assert expected_version('"4"', 4) == 4
    assert etag(4) == '"4"'


def test_missing_version_is_a_precondition_required() -> None:
    with pytest.raises(PreconditionRequiredError, match="If-Match"):
        expected_version(None, None)


@pytest.mark.parametrize(("header", "body"), [('"abc"', None), ("*", None), ('"3"', 4)])
def test_bad_or_disagreeing_versions_are_refused(header: str, body: int | None) -> None:
    with pytest.raises(InvalidRequestError):
        expected_version(header, body)
