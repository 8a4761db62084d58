"""`vori transcriber-batch`: uploaded recordings from the object store to final segments.

The shared ConsumerLoop reads `recordings.uploaded` in its own consumer group; for each
upload the handler copies the parts into a temporary file, decodes and transcribes it
with the batch core (transcriber/batch.py), publishes each final to
`transcript.segments` as it comes, throttled `recording_progress` events to
`meeting.events`, and `recording_transcribed` once every final is acknowledged by Kafka.
A file that cannot be transcribed (undecodable, no audio, too long, a part missing) gets
`recording_failed` with the reason at once; any other failure is retried by the loop
and, after its last attempt, dead-lettered with a `recording_failed` too, so an upload is
never retried forever.

Delivery: at least once, with deterministic segments, not Kafka transactions. The
upload's offset is stored only after `recording_transcribed` is delivered, so a crash or a
rebalance transcribes the upload again from its first sample; the same file with the same
settings gives the same segments (the core decodes at temperature 0, and a replay starts
at the file's start like the first run), hence the same segment ids and texts. The
gateway upserts segments by id and the summarizer records a segment id once
(`on_conflict_do_nothing`), so a replay changes nothing downstream. Transactions would
buy nothing here (nothing is half-done across topics that ids do not already make
idempotent) and would hide every final of an hour-long upload from read-committed readers
until its end, while the meeting page should fill in as the upload is transcribed.
A restarted upload's progress starts again from 0.

Re-transcription: `retranscriptions.requested` asks for a past meeting's archived streams
to be transcribed again with a named model (transcriber/archive_audio.py reads them back).
The finals go out under stream ids that name the job, the reports as for an upload with the
job id in `upload_id`, and last `transcript_replaced`, after which the gateway and the
summarizer drop their old segments of those streams (docs/batch-transcription.md).

One module because an upload and a re-transcription are one Kafka shell: the same loop,
yield to live load, progress, failure and delivery steps, differing only in where the
audio comes from (upload_audio.py, archive_audio.py).

Live meetings first: the process runs at a lower CPU priority (`nice`) with
`cpu_threads` decode threads, and between two steps (a Whisper segment, a chunk) it waits
while any live transcriber's fresh load report on `transcriber.load` is not at the normal
level; the decoding is lazy, so waiting between steps pauses it (docs/recordings.md).
The handler may hold the loop for as long as an upload takes (the poll interval allows a
day); SIGTERM abandons the upload in hand (its offset is not stored: the next worker
starts it again).
"""

from __future__ import annotations

import logging
import os
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from faster_whisper import WhisperModel

from transcriber import batch_metrics as metrics
from transcriber.archive_audio import ArchiveError, job_streams
from transcriber.batch import (
    BatchTranscriber,
    DetectLanguage,
    Model,
    ProgressThrottle,
    Step,
    transcription_language,
)
from transcriber.live_load import LoadWatcher
from transcriber.pcm import SAMPLE_RATE
from transcriber.upload_audio import (
    UploadError,
    assemble_upload,
    decode_recording,
)
from transcriber.voice import VoiceEncoder, VoiceModelUnavailableError, load_voice_encoder
from vori.events import (
    RECORDINGS_UPLOADED,
    RETRANSCRIPTIONS_REQUESTED,
    Event,
    MeetingEvent,
    RecordingUploaded,
    RetranscriptionRequested,
    original_stream,
)
from vori.kafka import ConsumerLoop, EventProducer, MessageContext, ensure_topics, wait_for_kafka
from vori.logs import configure_logging
from vori.metrics import serve_metrics
from vori.objectstore import ObjectStore, ObjectStoreUnavailableError, open_store
from vori.recordings import BadRecordingKeyError
from vori.settings import Accuracy, Settings
from vori.whisper_models import resolve_model

log = logging.getLogger(__name__)

# An upload holds the loop while it is transcribed: stay in the group meanwhile (the
# librdkafka maximum, a day; a worker that hangs longer is replaced and its upload redone).
_LONG_HANDLER: dict[str, Any] = {"max.poll.interval.ms": 86_400_000}
_STOP_CHECK_S = 0.2


class InterruptedUploadError(Exception):
    """The worker is stopping in the middle of an upload (it is redelivered, not failed)."""


# -- models -----------------------------------------------------------------------------


class Models:
    """The live lanes' models (by meeting language and accuracy), loaded on first use and kept."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._loaded: dict[str, Model] = {}

    def model_for(self, language: str, accuracy: Accuracy | None = None) -> Model:
        return self.named(self.settings.transcriber.model_for(language, accuracy))

    def named(self, name: str) -> Model:
        """A model by name (a re-transcription asks for one), loaded on first use."""
        t = self.settings.transcriber
        if name not in self._loaded:
            path = resolve_model(name, self.settings.data_dir / "models")
            started = time.perf_counter()
            whisper = WhisperModel(
                path,
                device=t.device,
                compute_type=t.compute_type,
                cpu_threads=self.settings.transcriber_batch.cpu_threads,
                num_workers=1,
                local_files_only=True,
            )
            log.info("loaded %s in %.1f s", name, time.perf_counter() - started)
            self._loaded[name] = Model(
                name,
                whisper.transcribe,
                bool(whisper.model.is_multilingual),
                detect=_language_detector(whisper),
            )
        return self._loaded[name]


def _language_detector(whisper: WhisperModel) -> DetectLanguage:
    def detect(audio: np.ndarray) -> dict[str, float]:
        return dict(whisper.detect_language(audio)[2])

    return detect


@dataclass(frozen=True)
class Job:
    """Whose reports these are: an upload, or a re-transcription (its id as `upload_id`)."""

    meeting_id: str
    upload_id: str
    participant_id: str

    @classmethod
    def of(cls, event: RecordingUploaded | RetranscriptionRequested) -> Job:
        if isinstance(event, RecordingUploaded):
            return cls(event.meeting_id, event.upload_id, event.uploaded_by)
        return cls(event.meeting_id, event.job_id, event.requested_by)


# -- the worker -------------------------------------------------------------------------


class BatchWorker:
    """Consumes `recordings.uploaded`; publishes finals and the upload's progress."""

    def __init__(
        self,
        settings: Settings,
        store: ObjectStore,
        *,
        models: Callable[[str, Accuracy | None], Model] | None = None,
        named_models: Callable[[str], Model] | None = None,
        watcher: LoadWatcher | None = None,
        voice_encoder: Callable[[], VoiceEncoder] = load_voice_encoder,
    ) -> None:
        self.settings = settings
        self.batch = settings.transcriber_batch
        self.store = store
        loaded = Models(settings)
        self.core = BatchTranscriber(
            settings.transcriber,
            self.batch,
            models or loaded.model_for,
            voice_encoder=voice_encoder,
        )
        self.named_models = named_models or loaded.named
        self.watcher = watcher or LoadWatcher(settings)
        self.producer = EventProducer(settings.kafka)
        self.loop = ConsumerLoop(
            settings.kafka,
            self.batch.group_id,
            [RECORDINGS_UPLOADED, RETRANSCRIPTIONS_REQUESTED],
            self.handle,
            on_dead_letter=self.dead_lettered,
            # A store away waits; a stop mid-upload ends the loop without storing the offset.
            transient=(ObjectStoreUnavailableError, InterruptedUploadError),
            **_LONG_HANDLER,
        )
        self._current: tuple[MessageContext, Job] | None = None

    def run(self) -> None:
        """Consume until SIGTERM."""
        self.watcher.start()
        try:
            self.loop.run()
        finally:
            self.watcher.stop()
            self.producer.flush(10)

    def handle(self, event: Event, context: MessageContext) -> None:
        if not isinstance(event, RecordingUploaded | RetranscriptionRequested):
            return
        # Kept after the handler returns: the loop may dead-letter it after the last attempt.
        self._current = (context, Job.of(event))
        metrics.UPLOADS_IN_PROGRESS.inc()
        try:
            with tempfile.TemporaryDirectory(prefix="vori-upload-") as workdir:
                if isinstance(event, RecordingUploaded):
                    self._transcribe(event, Path(workdir))
                else:
                    self._retranscribe(event, Path(workdir))
        finally:
            metrics.UPLOADS_IN_PROGRESS.dec()

    def dead_lettered(self, context: MessageContext) -> None:
        """The loop gave up on an upload: say so, so that it is not shown as pending."""
        if self._current is None or self._current[0] != context:
            return
        self._fail(
            self._current[1], "transcription failed repeatedly; see the batch transcriber's log"
        )

    def _transcribe(self, upload: RecordingUploaded, workdir: Path) -> None:
        started = time.monotonic()
        if upload.room:
            try:
                self.core.voice_encoder()  # loaded first: no retry brings missing weights back
            except VoiceModelUnavailableError as exc:
                log.error(
                    "upload %s: no voice encoder for a room recording: %s", upload.upload_id, exc
                )
                self._fail(Job.of(upload), f"voices cannot be told apart here ({exc})")
                return
        try:
            source = assemble_upload(
                self.store, upload, workdir / ("upload" + _suffix(upload.filename))
            )
            audio = decode_recording(
                source,
                workdir,
                max_duration_s=self.batch.max_duration_s,
                max_channels=self.batch.max_channels,
            )
            source.unlink()
        except UploadError as exc:
            log.warning("upload %s of %s failed: %s", upload.upload_id, upload.meeting_id, exc)
            self._fail(Job.of(upload), str(exc))
            return
        log.info(
            "upload %s of %s: %.0f s, %d of %d channels (meeting language %s)%s",
            upload.upload_id,
            upload.meeting_id,
            audio.duration_s,
            len(audio.channels),
            audio.source_channels,
            upload.language or "detected",
            "; a room recording: voices told apart" if upload.room else "",
        )
        self._run_steps(Job.of(upload), self.core.transcribe(upload, audio))
        self._transcribed(Job.of(upload))
        elapsed = time.monotonic() - started
        log.info(
            "upload %s transcribed: %.0f s of audio in %.0f s (%.1f audio s per s)",
            upload.upload_id,
            audio.duration_s * len(audio.channels),
            elapsed,
            audio.duration_s * len(audio.channels) / max(elapsed, 1e-3),
        )

    def _retranscribe(self, job: RetranscriptionRequested, workdir: Path) -> None:
        """A past meeting's archive with the job's model; the transcript replaced at the end."""
        started = time.monotonic()
        reports = Job.of(job)
        try:
            max_samples = int(self.batch.max_duration_s * SAMPLE_RATE)
            streams = job_streams(self.store, job, workdir, max_samples)
        except (ArchiveError, BadRecordingKeyError) as exc:
            log.warning("re-transcription %s of %s failed: %s", job.job_id, job.meeting_id, exc)
            self._fail(reports, str(exc))
            return
        model = self.named_models(job.model)
        language = transcription_language(job.language)
        seconds = sum(len(samples) for _stream, samples in streams) / SAMPLE_RATE
        log.info(
            "re-transcription %s of %s: %d streams, %.0f s, model %s",
            job.job_id,
            job.meeting_id,
            len(streams),
            seconds,
            model.name,
        )
        self._run_steps(
            reports, self.core.transcribe_streams(job.meeting_id, streams, model, language)
        )
        self._transcribed(reports)
        replaced = sorted(original_stream(s.stream_id)[1] for s, _samples in streams)
        self._publish(
            MeetingEvent(
                type="transcript_replaced",
                meeting_id=job.meeting_id,
                upload_id=job.job_id,
                participant_id=job.requested_by,
                replaced_streams=replaced,
            )
        )
        self._deliver()
        log.info(
            "re-transcription %s: %.0f s of audio in %.0f s; transcript replaced",
            job.job_id,
            seconds,
            time.monotonic() - started,
        )

    def _transcribed(self, job: Job) -> None:
        """Every final is in Kafka before the job is said to be done."""
        self._deliver()
        self._publish(
            MeetingEvent(
                type="recording_transcribed",
                meeting_id=job.meeting_id,
                upload_id=job.upload_id,
                participant_id=job.participant_id,
                progress=1.0,
            )
        )
        self._deliver()
        metrics.UPLOADS.labels("transcribed").inc()

    def _run_steps(self, job: Job, steps: Iterator[Step]) -> None:
        throttle = ProgressThrottle(self.batch.progress_step, self.batch.progress_interval_s)
        self._progress(job, throttle, 0.0)
        done = 0
        while True:
            self._yield_to_live()  # before each step: the steps are decoded when asked for
            step = next(steps, None)
            if step is None:
                break
            if step.segment is not None:
                self.producer.publish(step.segment)
                metrics.SEGMENTS.inc()
            metrics.AUDIO_SECONDS.labels(step.model).inc((step.done_samples - done) / SAMPLE_RATE)
            done = step.done_samples
            if step.progress < 1.0:
                self._progress(job, throttle, step.progress)

    def _yield_to_live(self) -> None:
        """Wait while live transcribers report overload; stop mid-upload when asked to."""
        waited_since: float | None = None
        try:
            while True:
                if self.loop.stopping:
                    raise InterruptedUploadError("stopping: the upload is redone by the next run")
                if not self.watcher.busy():
                    return
                if waited_since is None:
                    waited_since = time.monotonic()
                    metrics.YIELDING.set(1)
                    log.info("live transcribers are overloaded: the upload waits")
                self._sleep(self.batch.backoff_s)
        finally:
            if waited_since is not None:
                metrics.YIELDING.set(0)
                metrics.YIELD_SECONDS.inc(time.monotonic() - waited_since)

    def _sleep(self, seconds: float) -> None:
        deadline = time.monotonic() + seconds
        while not self.loop.stopping and time.monotonic() < deadline:
            self.producer.poll(min(_STOP_CHECK_S, max(deadline - time.monotonic(), 0.0)))

    def _progress(self, job: Job, throttle: ProgressThrottle, p: float) -> None:
        if throttle.due(p, time.monotonic()):
            self._publish(
                MeetingEvent(
                    type="recording_progress",
                    meeting_id=job.meeting_id,
                    upload_id=job.upload_id,
                    participant_id=job.participant_id,
                    progress=round(p, 4),
                )
            )

    def _fail(self, job: Job, error: str) -> None:
        self._publish(
            MeetingEvent(
                type="recording_failed",
                meeting_id=job.meeting_id,
                upload_id=job.upload_id,
                participant_id=job.participant_id,
                error=error[:1000],
            )
        )
        self._deliver()
        metrics.UPLOADS.labels("failed").inc()

    def _publish(self, event: Event) -> None:
        self.producer.publish(event)

    def _deliver(self) -> None:
        if self.producer.flush(60) != 0:
            raise RuntimeError("Kafka did not acknowledge the upload's events within 60 s")


def _suffix(filename: str) -> str:
    """The upload's file extension, if a plain one: it helps FFmpeg probe the format."""
    suffix = Path(filename).suffix.lower()
    return suffix if 1 < len(suffix) <= 8 and suffix[1:].isalnum() else ""


def run(settings: Settings) -> None:
    """Transcribe uploaded recordings until SIGTERM, below live transcription."""
    os.nice(settings.transcriber_batch.nice)  # live meetings first
    configure_logging(settings.log_level)
    logging.getLogger("faster_whisper").setLevel(logging.WARNING)
    wait_for_kafka(settings.kafka)
    ensure_topics(settings.kafka)
    port = settings.transcriber_batch.metrics_port
    if port:
        serve_metrics(settings.host, port)
        log.info("batch transcriber metrics on http://%s:%d/metrics", settings.host, port)
    # Temporary copies of uploads go where TMPDIR points; nothing else is written locally.
    log.info("batch transcriber: temporary files in %s", tempfile.gettempdir())
    BatchWorker(settings, open_store(settings)).run()
