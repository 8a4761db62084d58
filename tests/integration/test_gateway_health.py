"""The gateway's health, readiness and client config, through the real ASGI app."""

from __future__ import annotations

from fastapi.testclient import TestClient

from gateway.app import create_app
from vori.settings import Settings


def test_readyz_reports_kafka_and_postgres_reachable(settings: Settings) -> None:
    with TestClient(create_app(settings)) as client:
        assert client.get("/healthz").json() == {"status": "ok"}
        ready = client.get("/readyz")
        assert ready.status_code == 200
        assert ready.json() == {"kafka": "ok", "postgres": "ok"}


def test_readyz_is_503_when_postgres_is_unreachable(settings: Settings) -> None:
    from tests.helpers.ports import free_port

    broken = settings.model_copy(
        update={"database_url": f"postgresql://nobody@127.0.0.1:{free_port()}/none"}
    )
    with TestClient(create_app(broken)) as client:
        ready = client.get("/readyz")
        assert ready.status_code == 503
        assert ready.json()["postgres"] == "unreachable"
        assert ready.json()["kafka"] == "ok"


def test_config_tells_clients_the_audio_websocket(settings: Settings) -> None:
    with TestClient(create_app(settings)) as client:
        config = client.get("/api/v1/config").json()
    assert config["audio_ws_url"] == f"ws://{settings.host}:{settings.ingest.port}"
    assert config["audio_path_template"] == "/ingest/v1/meetings/{meeting_id}/audio"
    assert config["sample_rate"] == 16000
