"""The model lanes of a live transcriber: one per model, loaded on first use.

English meetings are decoded by the English model (`tiny.en`), or by `MODEL_EN_HIGH` when
the meeting asks for high accuracy; every other language (and automatic detection) by the
multilingual one (`TranscriberSettings.model_for`). Lanes are keyed by model, so English at
high accuracy and Korean share the one loaded `base`. A lane loads its model in its own
thread (transcriber/lane.py), so asking for a lane never waits on the load.
"""

from __future__ import annotations

import queue
from collections.abc import Iterator, Mapping

from transcriber.decoder import WhisperDecoder
from transcriber.lane import ModelLane, Result
from transcriber.metrics import TranscriberMetrics
from transcriber.stream import StreamInfo
from vori.settings import Settings
from vori.whisper_models import resolve_model


class ModelLanes(Mapping[str, ModelLane]):
    """The lanes started so far, by model; all deliver their results to one queue."""

    def __init__(
        self, settings: Settings, results: queue.SimpleQueue[Result], metrics: TranscriberMetrics
    ) -> None:
        self.settings = settings
        self.results = results
        self.metrics = metrics
        self._lanes: dict[str, ModelLane] = {}

    def __getitem__(self, model: str) -> ModelLane:
        return self._lanes[model]

    def __iter__(self) -> Iterator[str]:
        return iter(self._lanes)

    def __len__(self) -> int:
        return len(self._lanes)

    def for_stream(self, info: StreamInfo) -> ModelLane:
        """The lane of the model that decodes a stream, starting it on first use."""
        return self.lane(self.settings.transcriber.model_for(info.language, info.accuracy))

    def lane(self, name: str) -> ModelLane:
        """The lane of a model, loading the model on first use (in its thread)."""
        if name not in self._lanes:
            t = self.settings.transcriber

            def load() -> WhisperDecoder:
                path = resolve_model(name, self.settings.data_dir / "models")
                return WhisperDecoder(
                    path,
                    name,
                    device=t.device,
                    compute_type=t.compute_type,
                    cpu_threads=t.cpu_threads,
                    workers=t.decode_workers,
                    encoder_margin_s=t.encoder_margin_s,
                    partial_margin_s=t.partial_encoder_margin_s,
                )

            self._lanes[name] = ModelLane(name, load, t, self.results, self.metrics)
        return self._lanes[name]
