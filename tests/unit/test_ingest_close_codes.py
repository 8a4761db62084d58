"""The one table from ingest's refusals to the audio WebSocket's close codes (docs/protocol.md)."""

from __future__ import annotations

import pytest

from stream_ingest import errors
from stream_ingest.connection import CLOSE_CODES, close_for
from stream_ingest.protocol import MAX_REASON_BYTES, CloseCode, ProtocolError


def test_every_refusal_has_a_close_code() -> None:
    refusals = {
        value
        for value in vars(errors).values()
        if isinstance(value, type)
        and issubclass(value, errors.StreamRefusedError)
        and value is not errors.StreamRefusedError
    }
    assert refusals == set(CLOSE_CODES)


@pytest.mark.parametrize(
    ("error", "code"),
    [
        (errors.BadTokenError("token expired"), 4401),
        (errors.UserGoneError("the token's user no longer exists"), 4401),
        (errors.NotAMemberError("no such meeting"), 4404),
        (errors.UnknownStreamError("no such stream for this participant"), 4404),
        (errors.MeetingEndedError("the meeting has ended"), 4409),
        (errors.StreamOpenElsewhereError("stream already open elsewhere"), 4409),
        (errors.StreamTakenOverError("stream taken over elsewhere"), 4409),
        (errors.PositionGapError("position 9 is past the 0 durable samples: a gap"), 4400),
        (errors.OverLimitError("this ingest process is at its 1000 streams"), 4429),
        (errors.TranscribersBusyError("transcription is over capacity"), 1013),
        (errors.StreamFailedError("audio could not be written to Kafka"), 1011),
    ],
)
def test_refusals_close_with_the_documented_code_and_their_reason(
    error: errors.StreamRefusedError, code: int
) -> None:
    assert close_for(error) == (code, error.reason)


def test_protocol_errors_keep_their_own_code() -> None:
    assert close_for(ProtocolError(CloseCode.BAD_MESSAGE, "empty audio frame")) == (
        4400,
        "empty audio frame",
    )


def test_a_long_reason_is_cut_to_fit_a_close_frame() -> None:
    code, reason = close_for(errors.TranscribersBusyError("x" * 500))
    assert code == 1013
    assert len(reason.encode()) <= MAX_REASON_BYTES
    assert reason.endswith("...")
