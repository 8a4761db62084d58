"""Tokens and password hashes of the shared auth code."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from pydantic import SecretStr

from vori.auth import (
    InvalidTokenError,
    Principal,
    hash_password,
    issue_token,
    verify_password,
    verify_token,
)
from vori.settings import GatewaySettings

GATEWAY = GatewaySettings(jwt_secret=SecretStr("s" * 40), jwt_ttl_s=60)
ANA = Principal(user_id="usr_1", email="ana@example.com", name="Ana")


def test_token_round_trip_names_the_user() -> None:
    assert verify_token(GATEWAY, issue_token(GATEWAY, ANA)) == ANA


def test_expired_token_is_refused_with_a_reason() -> None:
    old = issue_token(GATEWAY, ANA, now=datetime.now(UTC) - timedelta(seconds=120))
    with pytest.raises(InvalidTokenError, match="expired"):
        verify_token(GATEWAY, old)


def test_token_signed_with_another_secret_is_refused() -> None:
    other = GatewaySettings(jwt_secret=SecretStr("o" * 40))
    with pytest.raises(InvalidTokenError, match="invalid token"):
        verify_token(GATEWAY, issue_token(other, ANA))


@pytest.mark.parametrize("token", [None, "", "not.a.jwt"])
def test_missing_or_garbage_tokens_are_refused(token: str | None) -> None:
    with pytest.raises(InvalidTokenError):
        verify_token(GATEWAY, token)


def test_password_hashes_verify_only_the_right_password() -> None:
    hashed = hash_password("correct horse")
    assert hashed.startswith("$argon2")
    assert verify_password(hashed, "correct horse")
    assert not verify_password(hashed, "wrong")
    assert not verify_password("garbage", "correct horse")
