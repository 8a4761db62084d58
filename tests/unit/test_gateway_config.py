"""What /api/v1/config tells clients about the audio WebSocket, behind a proxy or not."""

from __future__ import annotations

from gateway.runtime import audio_ws_base
from vori.settings import Settings


def test_behind_a_tls_proxy_audio_goes_to_wss_on_the_same_name() -> None:
    settings = Settings(gateway={"public_url": "https://vori.example.com/"})
    assert audio_ws_base(settings) == "wss://vori.example.com"


def test_a_plain_http_public_url_gives_ws() -> None:
    settings = Settings(gateway={"public_url": "http://vori.lan:8080"})
    assert audio_ws_base(settings) == "ws://vori.lan:8080"


def test_an_explicit_ingest_url_wins() -> None:
    settings = Settings(
        gateway={"public_url": "https://vori.example.com"},
        ingest={"public_url": "wss://audio.example.com/"},
    )
    assert audio_ws_base(settings) == "wss://audio.example.com"


def test_without_public_urls_clients_are_sent_to_this_host() -> None:
    settings = Settings(host="127.0.0.1", ingest={"port": 8123})
    assert audio_ws_base(settings) == "ws://127.0.0.1:8123"
