"""Which passwords and display names are acceptable: length and a block list, no composition rules.

Follows NIST SP 800-63B: a minimum length, no password that is one repeated character, a
very common password, or the account's own e-mail name.
"""

from __future__ import annotations

import unicodedata

MAX_PASSWORD_LENGTH = 256
# The most common passwords of published breach corpora that pass an 8-character minimum.
COMMON_PASSWORDS = frozenset(
    {
        "password",
        "password1",
        "password12",
        "password123",
        "passw0rd",
        "p@ssw0rd",
        "12345678",
        "123456789",
        "1234567890",
        "87654321",
        "11111111",
        "00000000",
        "qwertyuiop",
        "qwerty123",
        "qwerty12",
        "1q2w3e4r",
        "1q2w3e4r5t",
        "iloveyou",
        "sunshine",
        "princess",
        "football",
        "baseball",
        "welcome1",
        "welcome123",
        "abc12345",
        "abcd1234",
        "letmein1",
        "trustno1",
        "superman",
        "starwars",
        "whatever",
        "changeme",
        "admin123",
        "asdfghjkl",
        "zxcvbnm1",
        "q1w2e3r4",
        "aa123456",
        "monkey123",
        "dragon123",
    }
)


def password_problem(password: str, email: str, min_length: int) -> str | None:
    """Why a password is not acceptable for this account, or None if it is."""
    if len(password) < min_length:
        return f"password must be at least {min_length} characters long"
    if len(password) > MAX_PASSWORD_LENGTH:
        return f"password must be at most {MAX_PASSWORD_LENGTH} characters long"
    if len(set(password)) == 1:
        return "password must not be one repeated character"
    lowered = password.lower()
    if lowered in COMMON_PASSWORDS:
        return "password is too common; choose a longer phrase"
    name = email.split("@", 1)[0].lower()
    if lowered in (email.lower(), name):
        return "password must not be your e-mail address"
    return None


def clean_display_name(name: str) -> str | None:
    """The display name normalised (NFC, spaces collapsed), or None if it is unusable."""
    normalised = " ".join(unicodedata.normalize("NFC", name).split())
    if not normalised or len(normalised) > 200:
        return None
    if any(unicodedata.category(char).startswith("C") for char in normalised):
        return None
    return normalised
