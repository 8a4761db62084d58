"""A meeting's title as the API takes it: white space tidied, blank and overlong refused."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from gateway.meeting_schemas import MeetingCreate, MeetingRename


def test_a_title_is_stripped_and_its_white_space_collapsed() -> None:
    assert MeetingCreate(title="  Weekly \t sync \n").title == "Weekly sync"
    assert MeetingRename(title=" Retro ").title == "Retro"


@pytest.mark.parametrize("model", [MeetingCreate, MeetingRename])
def test_a_blank_title_is_refused_with_a_plain_reason(
    model: type[MeetingCreate] | type[MeetingRename],
) -> None:
    with pytest.raises(ValidationError) as refused:
        model(title="   ")
    [error] = refused.value.errors()
    assert (error["loc"], error["msg"]) == (("title",), "Value error, must not be blank")


def test_an_overlong_title_is_refused_with_its_limit() -> None:
    with pytest.raises(ValidationError) as refused:
        MeetingCreate(title="x" * 1000)
    [error] = refused.value.errors()
    assert (error["type"], error["ctx"]) == ("string_too_long", {"max_length": 300})
