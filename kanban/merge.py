"""How a meeting's proposal merges into a card that people may have edited (pure, no I/O).

The rules: a field a person set is never overwritten by a proposal (the proposed value is
recorded as declined, once per distinct value); a cancellation archives the card unless
a person has touched it; a proposal that says nothing about a field (no assignee, no due
date) leaves it as it is; evidence accumulates, except that a new quote of a line already
cited replaces the old one (the meeting's members corrected that line).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Literal

from vori.events import ActionItem

PROPOSED_FIELDS = ("title", "assignee", "due_date")
EDITABLE_FIELDS = ("title", "description", "assignee", "due_date")
# What a move or an archive by a person marks as theirs.
MOVE_FIELDS = ("column", "position")
ARCHIVE_FIELD = "archived"

MAX_TITLE = 300
MAX_ASSIGNEE = 200
MAX_QUOTE = 1000
MAX_EVIDENCE = 50

ChangeKind = Literal["created", "edited", "archived", "restored", "declined"]


@dataclass(frozen=True)
class ProposedTask:
    """One action item of a proposal, cleaned for a card."""

    title: str
    assignee: str | None
    due_date: str | None
    cancelled: bool
    evidence: tuple[dict[str, Any], ...] = ()

    @classmethod
    def from_item(cls, item: ActionItem, meeting_id: str) -> ProposedTask | None:
        """Clean an action item; None when it has no usable title."""
        title = " ".join(item.title.split())[:MAX_TITLE]
        if not title:
            return None
        assignee = " ".join((item.assignee or "").split())[:MAX_ASSIGNEE] or None
        evidence = tuple(
            {
                "meeting_id": meeting_id,
                "segment_id": e.segment_id,
                "quote": e.quote[:MAX_QUOTE],
                "at": e.at,
            }
            for e in item.evidence
        )
        return cls(
            title=title,
            assignee=assignee,
            due_date=iso_date_or_none(item.due_date),
            cancelled=item.status == "cancelled",
            evidence=evidence,
        )


def iso_date_or_none(value: str | None) -> str | None:
    """An ISO calendar date, or None for a missing or unparsable one."""
    if not value:
        return None
    try:
        return date.fromisoformat(value.strip()[:10]).isoformat()
    except ValueError:
        return None


@dataclass(frozen=True)
class CardState:
    """The fields of a card that merging looks at."""

    title: str
    assignee: str | None
    due_date: str | None
    archived: bool
    evidence: Sequence[Mapping[str, Any]] = ()
    human_fields: frozenset[str] = frozenset()
    declined: Mapping[str, Any] = field(default_factory=dict)

    @property
    def touched_by_person(self) -> bool:
        return bool(self.human_fields)

    def value(self, name: str) -> Any:
        return getattr(self, name)


@dataclass(frozen=True)
class Merge:
    """What to do with a card: the change kind (None: nothing), fields before and after."""

    change: ChangeKind | None
    before: dict[str, Any] = field(default_factory=dict)
    after: dict[str, Any] = field(default_factory=dict)
    declined: dict[str, Any] = field(default_factory=dict)
    # The card's new memory of declined values (replaces CardState.declined).
    declined_state: dict[str, Any] = field(default_factory=dict)

    @property
    def creates(self) -> bool:
        return self.change == "created"

    @property
    def changes_card(self) -> bool:
        return bool(self.after)


NOTHING = Merge(change=None)


class ProposalMerger:
    """Decides how one proposed task changes one card (or creates it)."""

    def merge(self, card: CardState | None, task: ProposedTask) -> Merge:
        if card is None:
            return self._create(task)
        before: dict[str, Any] = {}
        after: dict[str, Any] = {}
        declined: dict[str, Any] = {}
        memory = dict(card.declined)

        for name in PROPOSED_FIELDS:
            proposed = getattr(task, name)
            current = card.value(name)
            if proposed is None or proposed == current:
                # Silence is not a change; agreement clears what was declined before.
                if proposed is not None:
                    memory.pop(name, None)
                continue
            if name in card.human_fields:
                if memory.get(name) != proposed:
                    declined[name] = proposed
                memory[name] = proposed
                continue
            before[name] = current
            after[name] = proposed
            memory.pop(name, None)

        combined = _merged_evidence(card.evidence, task.evidence)
        if combined != [dict(e) for e in card.evidence]:
            before["evidence"] = list(card.evidence)
            after["evidence"] = combined[-MAX_EVIDENCE:]

        self._merge_status(card, task, before, after, declined, memory)
        return Merge(
            change=_change_kind(after, declined),
            before=before,
            after=after,
            declined=declined,
            declined_state=memory,
        )

    @staticmethod
    def _create(task: ProposedTask) -> Merge:
        if task.cancelled:
            return NOTHING  # nothing to archive: a task dropped before it reached the board
        after = {
            "title": task.title,
            "assignee": task.assignee,
            "due_date": task.due_date,
            "evidence": list(task.evidence)[-MAX_EVIDENCE:],
            "archived": False,
        }
        return Merge(change="created", after=after)

    @staticmethod
    def _merge_status(
        card: CardState,
        task: ProposedTask,
        before: dict[str, Any],
        after: dict[str, Any],
        declined: dict[str, Any],
        memory: dict[str, Any],
    ) -> None:
        wanted = "cancelled" if task.cancelled else "open"
        current = "cancelled" if card.archived else "open"
        if wanted == current:
            memory.pop("status", None)
            return
        # Un-archiving is refused only if a person archived it; cancelling if a person
        # touched the card in any way.
        refused = card.touched_by_person if task.cancelled else ARCHIVE_FIELD in card.human_fields
        if refused:
            if memory.get("status") != wanted:
                declined["status"] = wanted
            memory["status"] = wanted
            return
        before[ARCHIVE_FIELD] = card.archived
        after[ARCHIVE_FIELD] = task.cancelled
        memory.pop("status", None)


def _merged_evidence(
    existing: Sequence[Mapping[str, Any]], proposed: Sequence[Mapping[str, Any]]
) -> list[dict[str, Any]]:
    """The card's evidence with the proposal's: a quote of a line the card already cites
    takes that line's place (a correction); any other new quote is added at the end."""
    merged = [dict(e) for e in existing]
    for item in proposed:
        key = (item.get("meeting_id"), item.get("segment_id"))
        same_line = [
            n for n, e in enumerate(merged) if (e.get("meeting_id"), e.get("segment_id")) == key
        ]
        if any(merged[n].get("quote") == item.get("quote") for n in same_line):
            continue
        if same_line and item.get("segment_id"):
            merged[same_line[0]] = dict(item)
        else:
            merged.append(dict(item))
    return merged


def _change_kind(after: Mapping[str, Any], declined: Mapping[str, Any]) -> ChangeKind | None:
    if ARCHIVE_FIELD in after:
        return "archived" if after[ARCHIVE_FIELD] else "restored"
    if after:
        return "edited"
    if declined:
        return "declined"
    return None


@dataclass(frozen=True)
class Edit:
    """A person's edit of a card: fields before and after, and the fields now theirs."""

    before: dict[str, Any]
    after: dict[str, Any]
    human_fields: frozenset[str]


def person_edit(
    current: Mapping[str, Any], requested: Mapping[str, Any], human_fields: frozenset[str]
) -> Edit:
    """Apply a person's field edits; every field they sent becomes theirs, changed or not."""
    unknown = set(requested) - set(EDITABLE_FIELDS)
    if unknown:
        raise ValueError(f"not editable: {', '.join(sorted(unknown))}")
    before = {k: current.get(k) for k, v in requested.items() if current.get(k) != v}
    after = {k: requested[k] for k in before}
    return Edit(before=before, after=after, human_fields=human_fields | set(requested))
