"""The gateway's health, readiness and client config, through the real ASGI app."""

from __future__ import annotations

import time

from fastapi.testclient import TestClient

from gateway.app import create_app
from tests.helpers.gateway import settings_for_gateway
from tests.helpers.ports import free_port
from vori.settings import Settings


def test_readyz_reports_kafka_postgres_and_consumers_ready(settings: Settings) -> None:
    with TestClient(create_app(settings_for_gateway(settings))) as client:
        assert client.get("/healthz").json() == {"status": "ok"}
        deadline = time.monotonic() + 60
        ready = client.get("/readyz")
        while ready.status_code != 200 and time.monotonic() < deadline:
            assert ready.json()["consumers"] == "starting"
            time.sleep(0.1)
            ready = client.get("/readyz")
        assert ready.status_code == 200
        assert ready.json() == {"kafka": "ok", "postgres": "ok", "consumers": "ok"}


def test_readyz_is_503_when_postgres_is_unreachable(settings: Settings) -> None:
    broken = settings_for_gateway(settings).model_copy(
        update={"database_url": f"postgresql://nobody@127.0.0.1:{free_port()}/none"}
    )
    with TestClient(create_app(broken)) as client:
        ready = client.get("/readyz")
        assert ready.status_code == 503
        assert ready.json()["postgres"] == "unreachable"
        assert ready.json()["kafka"] == "ok"


def test_config_tells_clients_the_audio_websocket(settings: Settings) -> None:
    # Without the lifespan: config needs neither Kafka nor PostgreSQL.
    client = TestClient(create_app(settings))
    config = client.get("/api/v1/config").json()
    assert config["audio_ws_url"] == f"ws://{settings.host}:{settings.ingest.port}"
    assert config["audio_path_template"] == "/ingest/v1/meetings/{meeting_id}/audio"
    assert config["sample_rate"] == 16000
