"""The model lanes of a live transcriber: one per model family, loaded on first use.

English meetings are decoded by the English model, every other language (and automatic
detection) by the multilingual one. A lane loads its model in its own thread
(transcriber/lane.py), so asking for a lane never waits on the load.
"""

from __future__ import annotations

import queue
from collections.abc import Iterator, Mapping

from transcriber.decoder import WhisperDecoder
from transcriber.lane import ModelLane, Result
from transcriber.metrics import TranscriberMetrics
from vori.settings import Settings
from vori.whisper_models import resolve_model


def model_family(language: str) -> str:
    """Which loaded model serves a meeting language."""
    return "en" if language == "en" else "multilingual"


class ModelLanes(Mapping[str, ModelLane]):
    """The lanes started so far, by family; all deliver their results to one queue."""

    def __init__(
        self, settings: Settings, results: queue.SimpleQueue[Result], metrics: TranscriberMetrics
    ) -> None:
        self.settings = settings
        self.results = results
        self.metrics = metrics
        self._lanes: dict[str, ModelLane] = {}

    def __getitem__(self, family: str) -> ModelLane:
        return self._lanes[family]

    def __iter__(self) -> Iterator[str]:
        return iter(self._lanes)

    def __len__(self) -> int:
        return len(self._lanes)

    def for_language(self, language: str) -> ModelLane:
        """The lane of a meeting language's family, starting it on first use."""
        return self.lane(model_family(language))

    def lane(self, family: str) -> ModelLane:
        """The model lane of a family, loading the model on first use (in its thread)."""
        if family not in self._lanes:
            t = self.settings.transcriber
            name = t.model_en if family == "en" else t.model_multilingual

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

            self._lanes[family] = ModelLane(name, load, t, self.results, self.metrics)
        return self._lanes[family]
