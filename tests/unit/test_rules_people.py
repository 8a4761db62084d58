"""Spoken names and speakers resolved to meeting members (English and Korean forms)."""

from __future__ import annotations

from summarizer.facts import Member
from summarizer.people import People

MINA, MINA_KO, BOB = Member("u1", "Mina Park"), Member("u2", "김민아"), Member("u3", "Bob Chen")


def test_first_full_and_korean_given_names_with_address_forms() -> None:
    people = People([MINA, MINA_KO, BOB])
    assert people.by_name("Mina") is MINA
    assert people.by_name("mina park") is MINA
    assert people.by_name("bob,") is BOB
    assert people.by_name("민아님이") is MINA_KO
    assert people.by_name("김민아 씨") is MINA_KO
    assert people.by_name("Mallory") is None


def test_ambiguous_names_resolve_to_nobody() -> None:
    people = People([Member("a", "Alex Kim"), Member("b", "Alex Lee")])
    assert people.by_name("Alex") is None
    assert people.by_name("Alex Lee") == Member("b", "Alex Lee")


def test_speaker_by_participant_id_then_name_and_names_found_in_text() -> None:
    people = People([MINA, MINA_KO, BOB])
    assert people.speaker("someone", "u3") is BOB
    assert people.speaker("Mina Park", None) is MINA
    found = people.find_in("릴리스 노트는 민아님 말고 Bob이 맡아 주세요")
    assert [m for _s, _e, m in found] == [MINA_KO, BOB]


def test_a_role_said_by_its_letters_names_its_member() -> None:
    roles = [Member(f"r{i}", n) for i, n in enumerate(["Project Manager", "User Interface"])]
    people = People(roles)

    def named(text: str) -> list[str]:
        return [m.name for _s, _e, m in people.find_in(text)]

    # AMI's transcripts spell letters "U_I_D_"; a transcriber writes "UID" or "U.I.".
    assert named("the P_M_ and the U_I_D_, you two") == ["Project Manager", "User Interface"]
    assert named("the UID will draw it, the PM reviews it") == ["User Interface", "Project Manager"]
    assert named("the U.I. sketches") == ["User Interface"]
    # Only in capitals, and only for names of two words or more.
    assert named("my id card and the ui of it") == []
    assert People([MINA, Member("u9", "Ida")]).find_in("ID") == []


def test_a_role_said_with_another_role_noun_names_its_member() -> None:
    roles = [Member(f"r{i}", n) for i, n in enumerate(["Industrial Designer", "Project Manager"])]
    people = People(roles)
    # AMI IS1005c: "the Industrial Manager will work on the look and feel design".
    found = people.find_in("so the Industrial Manager will work on the look and feel design")
    assert [m.name for _s, _e, m in found] == ["Industrial Designer"]
    assert [m.name for _s, _e, m in people.find_in("ask the project lead")] == ["Project Manager"]
    # The work is not the member: "industrial design" names nobody.
    assert people.find_in("the industrial design of it") == []
