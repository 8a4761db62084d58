"""The task ledger of a meeting: every action item under its deterministic key.

Extractors (rules or LLM) never invent keys for tasks that already exist: they refer to
a task (by key, by "that", or by the words of its title) and the ledger applies a
change to it. A new task's key is `task_key_for(meeting, normalised title)`, so running
the same extractor over the same transcript yields the same keys.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field, replace
from datetime import date
from typing import Any, Literal

from vori.events import ActionItem, Evidence, task_key_for

# "That" and "it" refer to a task talked about in this segment or the four before ("그럼
# 그거 제가 볼게요" after a short exchange about who is away); later, "we don't need it" is
# about whatever was discussed since: in AMI's tuning meetings a feature, never a task.
RECENT_SEGMENTS = 4

Status = Literal["open", "cancelled"]

_STOP = set(
    [
        "a",
        "an",
        "the",
        "to",
        "of",
        "for",
        "and",
        "or",
        "on",
        "in",
        "at",
        "by",
        "with",
        "from",
        "into",
        "about",
        "this",
        "that",
        "it",
        "its",
        "our",
        "we",
        "you",
        "i",
        "me",
        "my",
        "your",
        "their",
        "them",
        "up",
        "out",
        "over",
        "be",
        "is",
        "are",
        "was",
        "will",
        "can",
        "could",
        "would",
        "should",
        "please",
        "also",
        "then",
        "just",
        "some",
        "any",
        "all",
        "new",
        "next",
        "final",
        "first",
    ]
)


def content_words(text: str) -> set[str]:
    """Lower-cased content words with a crude English stem; Korean words lose their particles."""
    folded = unicodedata.normalize("NFKC", text).casefold()
    words: set[str] = set()
    for word in re.findall(r"[\w']+", folded):
        if word in _STOP or len(word) < 2:
            continue
        if word.isascii():
            word = re.sub(r"(ing|ed|es|s)$", "", word) if len(word) > 4 else word
        else:
            word = (
                re.sub(r"(을|를|은|는|이|가|에|의|도|로|으로|에게|하고|과|와)$", "", word) or word
            )
        words.add(word)
    return words


def normalise_title(title: str) -> str:
    """The form a task key is derived from: content words in order, lower case."""
    folded = unicodedata.normalize("NFKC", title).casefold()
    return " ".join(w for w in re.findall(r"[\w']+", folded) if w not in _STOP)


def similarity(a: str, b: str) -> float:
    """Overlap of content words (Dice), 0..1."""
    left, right = content_words(a), content_words(b)
    if not left or not right:
        return 0.0
    return 2 * len(left & right) / (len(left) + len(right))


@dataclass
class Task:
    """One action item as the meeting currently sees it."""

    key: str
    title: str
    assignee: str | None = None
    assignee_id: str | None = None
    due: date | None = None
    status: Status = "open"
    evidence: list[Evidence] = field(default_factory=list)

    def to_item(self) -> ActionItem:
        return ActionItem(
            task_key=self.key,
            title=self.title,
            assignee=self.assignee,
            assignee_id=self.assignee_id or None,  # "" for the whole group: no one member
            due_date=self.due.isoformat() if self.due else None,
            status=self.status,
            evidence=list(self.evidence),
        )

    def to_json(self) -> dict[str, Any]:
        return self.to_item().model_dump(mode="json")

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Task:
        item = ActionItem.model_validate(data)
        return cls(
            key=item.task_key,
            title=item.title,
            assignee=item.assignee,
            assignee_id=item.assignee_id,
            due=date.fromisoformat(item.due_date) if item.due_date else None,
            status=item.status,
            evidence=list(item.evidence),
        )


class Ledger:
    """Tasks of one meeting in the order they were first proposed."""

    def __init__(self, meeting_id: str, tasks: list[Task] | None = None) -> None:
        self.meeting_id = meeting_id
        self.tasks: dict[str, Task] = {t.key: t for t in tasks or []}
        self.last_key: str | None = None  # the task "that" refers to
        self._heard = 0  # segments heard so far
        self._last_heard = 0  # the segment in which `last_key` was last talked about

    # -- reading ------------------------------------------------------------------------

    def open_tasks(self) -> list[Task]:
        return [t for t in self.tasks.values() if t.status == "open"]

    def get(self, key: str) -> Task | None:
        return self.tasks.get(key)

    def find(self, words: str | None, *, threshold: float = 0.3) -> Task | None:
        """The task a phrase refers to: "that"/None means the last one talked about."""
        if not words or re.fullmatch(
            r"\s*(that|it|this|그거|그건|그것|그 작업|이건|이거)\s*", words
        ):
            if self.last_key is None or self._heard - self._last_heard > RECENT_SEGMENTS:
                return None
            return self.tasks.get(self.last_key)
        best, best_score = None, 0.0
        for task in self.tasks.values():
            score = similarity(words, task.title)
            if score > best_score or (score == best_score and task.status == "open"):
                best, best_score = task, score
        return best if best is not None and best_score >= threshold else None

    def mentioned(self, sentence: str) -> Task | None:
        """The task a sentence talks about by name ("the footer link is a tiny fix")."""
        words = content_words(sentence)
        best, best_share = None, 0.0
        for task in self.tasks.values():
            title = content_words(task.title)
            shared = len(words & title)
            share = shared / len(title) if title else 0.0
            if (shared >= 2 or (shared == 1 and len(title) <= 2)) and share > best_share:
                best, best_share = task, share
        return best if best_share >= 0.4 else None

    def focus(self, task: Task) -> None:
        """Make a task the one that a following "that" refers to."""
        self.last_key, self._last_heard = task.key, self._heard

    def hear(self) -> None:
        """A new segment of the meeting begins: what "that" refers to fades."""
        self._heard += 1

    def match(self, title: str, segment_ids: list[str]) -> Task | None:
        """An existing task that a newly proposed one restates (same moment or same words)."""
        for task in self.tasks.values():
            same_moment = any(e.segment_id in segment_ids for e in task.evidence)
            score = similarity(title, task.title)
            if (same_moment and score >= 0.3) or score >= 0.6:
                return task
        return None

    # -- changing -----------------------------------------------------------------------

    def add(
        self,
        title: str,
        *,
        assignee: tuple[str, str] | None = None,
        due: date | None = None,
        evidence: Evidence | None = None,
        one_of_several: bool = False,
    ) -> Task:
        """Add a task, or update the one it restates; returns the task. `one_of_several`:
        the moment hands out several tasks ("you the components, you the interface"), so
        sharing it does not make two tasks one."""
        segment_ids = [evidence.segment_id] if evidence and not one_of_several else []
        existing = self.match(title, segment_ids)
        if existing is not None:
            changed = replace(existing)
            if assignee:
                changed.assignee_id, changed.assignee = assignee
            if due:
                changed.due = due
            changed.status = "open"
            self._keep(changed, evidence)
            return changed
        key = task_key_for(self.meeting_id, normalise_title(title))
        task = Task(key=key, title=title[:1].upper() + title[1:], due=due)
        if assignee:
            task.assignee_id, task.assignee = assignee
        self._keep(task, evidence)
        return task

    def update(
        self,
        task: Task,
        *,
        assignee: tuple[str, str] | None = None,
        due: date | None = None,
        status: Status | None = None,
        evidence: Evidence | None = None,
    ) -> Task:
        changed = replace(task)
        if assignee:
            changed.assignee_id, changed.assignee = assignee
        if due:
            changed.due = due
        if status:
            changed.status = status
        self._keep(changed, evidence)
        return changed

    def _keep(self, task: Task, evidence: Evidence | None) -> None:
        if evidence and all(e.segment_id != evidence.segment_id for e in task.evidence):
            task.evidence = [*task.evidence, evidence][-5:]
        self.tasks[task.key] = task
        self.last_key, self._last_heard = task.key, self._heard

    # -- persistence --------------------------------------------------------------------

    def to_json(self) -> list[dict[str, Any]]:
        return [t.to_json() for t in self.tasks.values()]

    @classmethod
    def from_json(cls, meeting_id: str, data: list[dict[str, Any]]) -> Ledger:
        return cls(meeting_id, [Task.from_json(d) for d in data])

    def items(self) -> list[ActionItem]:
        return [t.to_item() for t in self.tasks.values()]
