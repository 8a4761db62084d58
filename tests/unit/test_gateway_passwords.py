"""Password and display-name policy of registration."""

from __future__ import annotations

import pytest

from gateway.passwords import clean_display_name, password_problem


@pytest.mark.parametrize(
    ("password", "problem"),
    [
        ("short", "at least 8 characters"),
        ("x" * 300, "at most 256"),
        ("zzzzzzzzzz", "one repeated character"),
        ("Password123", "too common"),
        ("ana.kim", "at least 8"),
        ("ana.kim.long", "your e-mail"),
        ("ANA.KIM.LONG@EXAMPLE.COM", "your e-mail"),
    ],
)
def test_weak_passwords_are_explained(password: str, problem: str) -> None:
    found = password_problem(password, "ana.kim.long@example.com", 8)
    assert found is not None
    assert problem in found


def test_a_passphrase_is_accepted() -> None:
    assert password_problem("correct horse battery", "ana@example.com", 8) is None
    assert password_problem("비밀번호는길게", "ana@example.com", 6) is None


def test_display_names_are_normalised_or_refused() -> None:
    assert clean_display_name("  Ana   Kim ") == "Ana Kim"
    assert clean_display_name("김민아") == "김민아"
    assert clean_display_name("   ") is None
    assert clean_display_name("Ana\u0000") is None
    assert clean_display_name("x" * 201) is None
