"""Request and response bodies of the kanban REST API (pydantic, documented in OpenAPI)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
    field_validator,
    model_validator,
)

from vori.vocabulary import MAX_TERM_CHARS, MAX_TERMS, clean_terms

VOCABULARY = (
    f"Names and terms every meeting on the board inherits after its own (at most {MAX_TERMS},"
    f" each at most {MAX_TERM_CHARS} characters)."
)

Title = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=300)]
BOARD_NAME_MAX = 120


def _board_name_fits(value: object) -> object:
    """Refuse a name over BOARD_NAME_MAX with a sentence a person reads; the constraint
    after it only documents the limit in OpenAPI."""
    if isinstance(value, str) and len(value.strip()) > BOARD_NAME_MAX:
        raise ValueError(
            f"a board name can be at most {BOARD_NAME_MAX} characters; this one has"
            f" {len(value.strip())}"
        )
    return value


Name = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=BOARD_NAME_MAX),
    BeforeValidator(_board_name_fits),
]
ColumnName = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
Assignee = Annotated[str, StringConstraints(strip_whitespace=True, max_length=200)]
Description = Annotated[str, StringConstraints(max_length=5000)]
Identifier = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=40)]
Version = Annotated[int, Field(ge=1, le=999_999_999, description="The version you last saw.")]
Position = Annotated[
    int, Field(ge=0, le=100_000, description="0-based index; past the end appends.")
]


class Request(BaseModel):
    model_config = ConfigDict(extra="forbid")


# -- requests ---------------------------------------------------------------------------


class BoardCreate(Request):
    name: Name


class BoardRename(Request):
    """Rename and/or archive (or restore) a board."""

    name: Name | None = None
    archived: bool | None = Field(
        None, description="Archive the board (left out of lists and My tasks) or restore it."
    )
    vocabulary: list[str] | None = Field(None, max_length=4 * MAX_TERMS, description=VOCABULARY)

    @model_validator(mode="after")
    def _something(self) -> BoardRename:
        if self.name is None and self.archived is None and self.vocabulary is None:
            raise ValueError("nothing to change: send 'name', 'archived' and/or 'vocabulary'")
        return self

    @field_validator("vocabulary")
    @classmethod
    def _terms(cls, value: list[str] | None) -> list[str] | None:
        return None if value is None else clean_terms(value)


class BoardMemberAdd(Request):
    user_id: Identifier | None = None
    email: Annotated[str, StringConstraints(strip_whitespace=True, max_length=320)] | None = None

    @model_validator(mode="after")
    def _one_of(self) -> BoardMemberAdd:
        if (self.user_id is None) == (self.email is None):
            raise ValueError("send exactly one of 'user_id' or 'email'")
        return self


WipLimit = Annotated[int, Field(ge=1, le=999, description="At most this many cards in the column.")]


class ColumnCreate(Request):
    name: ColumnName
    position: Position | None = None
    wip_limit: WipLimit | None = None


class ColumnUpdate(Request):
    name: ColumnName | None = None
    position: Position | None = None
    wip_limit: WipLimit | None = Field(None, description="null removes the limit.")
    version: Version | None = None

    @model_validator(mode="after")
    def _something(self) -> ColumnUpdate:
        if self.name is None and self.position is None and "wip_limit" not in self.model_fields_set:
            raise ValueError("nothing to change: send 'name', 'position' and/or 'wip_limit'")
        return self


class CardCreate(Request):
    board_id: Identifier
    title: Title
    description: Description = ""
    assignee: Assignee | None = None
    due_date: date | None = None
    column_id: Identifier | None = Field(None, description="Default: the board's first column.")
    position: Position | None = Field(None, description="Default: the end of the column.")


class CardUpdate(Request):
    """Only the fields sent are changed; `null` clears assignee or due date."""

    title: Title | None = None
    description: Description | None = None
    assignee: Assignee | None = None
    due_date: date | None = None
    version: Version | None = None

    @model_validator(mode="after")
    def _valid_fields(self) -> CardUpdate:
        sent = self.model_fields_set - {"version"}
        if not sent:
            raise ValueError(
                "nothing to change: send at least one of title, description, assignee, due_date"
            )
        for required in ("title", "description"):
            if required in sent and getattr(self, required) is None:
                raise ValueError(f"'{required}' cannot be null")
        return self

    def changes(self) -> dict[str, Any]:
        values = {name: getattr(self, name) for name in self.model_fields_set - {"version"}}
        if values.get("assignee") == "":
            values["assignee"] = None
        return values


class CardMove(Request):
    column_id: Identifier
    position: Position
    version: Version | None = None


class VersionOnly(Request):
    version: Version | None = None


# -- responses --------------------------------------------------------------------------


class EvidenceOut(BaseModel):
    meeting_id: str | None = None
    segment_id: str
    quote: str = ""
    at: float | None = Field(None, description="Seconds into the meeting.")


class CardOut(BaseModel):
    id: str
    board_id: str
    column_id: str
    column: str = Field(description="Name of the card's column.")
    position: int
    title: str
    description: str
    assignee: str | None
    due_date: date | None
    source: Literal["llm", "rules", "human"]
    task_key: str | None
    meeting_id: str | None
    language: str | None
    evidence: list[EvidenceOut]
    edited_by_person: list[str] = Field(
        description="Fields a person set; proposals from meetings never overwrite them."
    )
    version: int
    archived: bool
    created_at: datetime
    updated_at: datetime


class MyTaskOut(CardOut):
    """A card assigned to the caller, with its board's name and whether it is late."""

    board_name: str
    overdue: bool = Field(description="Its due date has passed (before `today`).")


class MyTasksOut(BaseModel):
    today: date = Field(description="The date overdue was judged against.")
    overdue: int = Field(description="How many of the tasks are overdue.")
    tasks: list[MyTaskOut] = Field(description="By due date, undated last.")


class ColumnOut(BaseModel):
    id: str
    name: str
    position: int
    version: int
    wip_limit: int | None = Field(None, description="At most this many cards; null: no limit.")
    cards: list[CardOut] = Field(default_factory=list)


class BoardSummary(BaseModel):
    id: str
    name: str
    owner_id: str
    personal: bool
    access: Literal["owner", "member", "meeting"]
    meeting_ids: list[str] = Field(description="Meetings (of yours) that feed this board.")
    open_cards: int
    archived: bool = False


class BoardOut(BaseModel):
    id: str
    name: str
    owner_id: str
    personal: bool
    archived: bool = False
    vocabulary: list[str] = Field(default_factory=list, description=VOCABULARY)
    columns: list[ColumnOut]
    archived_cards: list[CardOut] = Field(
        default_factory=list, description="Only with ?include_archived=true."
    )


class MemberOut(BaseModel):
    user_id: str
    display_name: str
    email: str


class ActorOut(BaseModel):
    type: Literal["person", "meeting"]
    user_id: str | None
    name: str | None
    meeting_id: str | None
    source: Literal["human", "llm", "rules"]


class HistoryEntryOut(BaseModel):
    id: int
    change: str
    version: int
    at: datetime
    actor: ActorOut
    before: dict[str, Any]
    after: dict[str, Any]
    declined: dict[str, Any] = Field(
        description="What a proposal asked for but a person's edit kept out."
    )


class ErrorOut(BaseModel):
    detail: str
