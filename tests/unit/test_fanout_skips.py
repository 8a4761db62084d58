"""The fan-out's put-off work (gateway/fanout_skips.py): which events may concern a connected
person, and which held work the persistence group's committed offsets let it drop."""

from __future__ import annotations

from datetime import UTC, datetime

from gateway.fanout_skips import Held, Skipped, may_concern
from gateway.live_events import live_events_for
from gateway.notifications import Person
from vori.events import CardSnapshot, KanbanChange, TranscriptSegment

BOB = Person("usr_bob", "Bob", "bob@example.test")
ALICE = Person("usr_alice", "Alice Park", "alice@example.test")
AT = datetime(2026, 3, 5, 9, 0, tzinfo=UTC)


def _final(text: str, meeting: str = "mtg_1", n: int = 0, final: bool = True) -> TranscriptSegment:
    return TranscriptSegment(
        id=f"seg_{meeting}_{n}",
        meeting_id=meeting,
        stream_id=f"{meeting}:usr_alice:mic",
        participant_id="usr_alice",
        speaker="Alice Park",
        final=final,
        start=n * 2.0,
        end=n * 2.0 + 1.5,
        start_sample=n * 32_000,
        end_sample=n * 32_000 + 24_000,
        text=text,
    )


def _assigned(assignee: str | None) -> KanbanChange:
    card = CardSnapshot(
        id="crd_1", board_id="brd_1", column="To do", title="Send it", assignee=assignee
    )
    return KanbanChange(board_id="brd_1", change="created", card=card, actor="user:usr_alice")


def _held(meeting: str, offset: int, partition: int = 0, notify: bool = False) -> Held:
    event = _final(f"line {offset}", meeting, offset)
    durable = [live for live in live_events_for(event) if live.durable]
    return Held(event, ("transcript.segments", partition), offset, 0.0, AT, durable, notify)


def test_only_an_event_naming_a_connected_person_may_concern_them() -> None:
    assert may_concern(_final("Bob, can you send it?"), [ALICE, BOB])
    assert not may_concern(_final("Bobby sends it"), [ALICE, BOB])
    assert not may_concern(_final("Bob, can you send it?", final=False), [BOB])
    assert not may_concern(_final("Bob, can you send it?"), [])
    assert may_concern(_assigned(" BOB@example.test "), [BOB])
    assert not may_concern(_assigned("Carol"), [ALICE, BOB])
    assert not may_concern(_assigned(None), [BOB])


def test_a_person_whose_names_are_unknown_may_be_concerned_by_anything_that_notifies() -> None:
    assert may_concern(_final("nobody named here"), [None])
    assert may_concern(_assigned("Carol"), [BOB, None])
    assert not may_concern(_final("   "), [None])


def test_held_events_keep_their_meetings_order() -> None:
    skipped = Skipped()
    for offset in range(3):
        skipped.hold("mtg_a", _held("mtg_a", offset))
    skipped.hold("mtg_b", _held("mtg_b", 7))
    skipped.hold("mtg_a", _held("mtg_a", 3))
    assert [held.offset for held in skipped.of("mtg_a")] == [0, 1, 2, 3]
    assert len(skipped) == 5
    assert skipped.largest() == "mtg_a"


def test_work_the_persistence_group_committed_is_dropped_unless_someone_waits_here() -> None:
    skipped = Skipped()
    for offset in range(4):
        skipped.hold("mtg_a", _held("mtg_a", offset, notify=offset == 1))
    skipped.hold("mtg_b", _held("mtg_b", 0, partition=1))
    skipped.hold("mtg_c", _held("mtg_c", 0, partition=2))
    concerned = skipped.of("mtg_a")[1]
    # Committed offsets are those of the next message to read: 2 means 0 and 1 are done.
    committed = {("transcript.segments", 0): 2, ("transcript.segments", 1): 1}
    skipped.persisted(committed, watched=["mtg_b"], concerned=[concerned])
    # mtg_a: 0 is done; 1's log row is committed but its notification is wanted here;
    # 2 and 3 are not done yet. mtg_b is watched; partition 2 has no committed offset.
    assert [(held.offset, bool(held.durable), held.notify) for held in skipped.of("mtg_a")] == [
        (1, False, True),
        (2, True, False),
        (3, True, False),
    ]
    assert len(skipped.of("mtg_b")) == len(skipped.of("mtg_c")) == 1
    assert len(skipped) == 5
    skipped.persisted({("transcript.segments", p): 10 for p in range(3)}, [], [])
    assert len(skipped) == 0
    assert skipped.meetings() == []
