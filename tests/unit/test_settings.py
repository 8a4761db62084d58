"""Settings: one tree, VORI_ variables, errors that name the variable."""

from __future__ import annotations

import pytest

from vori.settings import Settings, SettingsError, describe_settings, known_env_vars, load_settings


def test_bad_value_fails_with_the_variable_name(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VORI_KAFKA__DEFAULT_PARTITIONS", "many")
    with pytest.raises(SettingsError, match="VORI_KAFKA__DEFAULT_PARTITIONS"):
        load_settings()


def test_out_of_range_port_names_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VORI_GATEWAY__PORT", "70000")
    with pytest.raises(SettingsError, match=r"VORI_GATEWAY__PORT: .*less than or equal to 65535"):
        load_settings()


def test_several_bad_values_are_all_named(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VORI_LOG_LEVEL", "LOUD")
    monkeypatch.setenv("VORI_TRANSCRIBER__CPU_THREADS", "0")
    with pytest.raises(SettingsError) as error:
        load_settings()
    assert "VORI_LOG_LEVEL" in str(error.value)
    assert "VORI_TRANSCRIBER__CPU_THREADS" in str(error.value)


def test_nested_values_and_json_maps_come_from_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("VORI_KAFKA__BOOTSTRAP_SERVERS", "kafka:9092")
    monkeypatch.setenv("VORI_KAFKA__PARTITIONS", '{"audio.frames": 48}')
    settings = load_settings()
    assert settings.kafka.bootstrap_servers == "kafka:9092"
    assert settings.kafka.partitions == {"audio.frames": 48}


def test_conventional_database_and_openai_variables_are_read(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("DATABASE_URL", "postgresql://u:p@db:5432/vori")
    monkeypatch.setenv("OPENAI_BASE_URL", "http://127.0.0.1:9999/v1")
    settings = load_settings()
    assert settings.sqlalchemy_url == "postgresql+psycopg://u:p@db:5432/vori"
    assert not settings.uses_local_postgres
    assert settings.openai_base_url == "http://127.0.0.1:9999/v1"


def test_without_database_url_the_local_server_is_used(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.delenv("VORI_DATABASE_URL", raising=False)
    settings = Settings()
    assert settings.uses_local_postgres
    assert settings.sqlalchemy_url.endswith(f"127.0.0.1:{settings.postgres.port}/vori")


def test_dotenv_file_is_read(tmp_path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / ".env").write_text("VORI_GATEWAY__PORT=8123\n")
    monkeypatch.chdir(tmp_path)
    assert load_settings().gateway.port == 8123


def test_every_setting_is_described() -> None:
    rows = list(describe_settings())
    assert all(description for _, _, description in rows)
    names = known_env_vars()
    assert {"VORI_KAFKA__BOOTSTRAP_SERVERS", "DATABASE_URL", "VORI_GATEWAY__JWT_SECRET"} <= names
    assert not any(default != "(secret)" and "change-me" in default for _, default, _ in rows)


def test_one_preset_field_from_the_environment_keeps_the_languages_other_defaults(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    default = load_settings().transcriber.preset_ko
    monkeypatch.setenv("VORI_TRANSCRIBER__PRESET_KO__BEAM_SIZE", "3")
    preset = load_settings().transcriber.preset_ko
    assert preset.beam_size == 3
    assert preset.model_dump(exclude={"beam_size"}) == default.model_dump(exclude={"beam_size"})
    assert preset.encoder_margin_s == 12.0  # Korean's own, not the preset class's None


def test_a_meetings_accuracy_picks_the_model_of_its_english_only(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    t = load_settings().transcriber
    assert t.model_for("en") == t.model_for("en", "standard") == "tiny.en"
    assert t.model_for("en", "high") == "base"
    assert t.model_for("ko", "standard") == t.model_for("ko", "high") == "base"
    assert t.model_for("auto", "high") == "base"
    monkeypatch.setenv("VORI_TRANSCRIBER__ACCURACY", "high")
    high = load_settings().transcriber
    assert high.model_for("en") == "base"  # the deployment's default for meetings naming none
    assert high.model_for("en", "standard") == "tiny.en"
