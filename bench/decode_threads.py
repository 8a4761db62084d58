"""What a final's decode costs by thread layout: `CPU_THREADS` 1 or 2 per decode, one
decode alone or two at once (the two decode workers both busy).

    .venv/bin/python bench/decode_threads.py [--language ko|en] [--clips 8] [--repeats 2]
        [--threads 1 2] [--out FILE]

No Kafka: the first `--clips` clips of the language's shared speech (ko/naver, or
en/ljspeech), at most 6 s each, decoded as finals by the transcriber's own WhisperDecoder
with the language's model and preset, `--repeats` times alone and then in pairs on two
threads. A decoder is loaded per thread count (two CTranslate2 replicas, as the
transcriber's two workers), and warmed up with one decode first.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bench.machine import describe  # noqa: E402
from tests.helpers.transcriber import SAMPLE_RATE, clips  # noqa: E402
from transcriber.decoder import DecodeRequest, WhisperDecoder  # noqa: E402
from transcriber.policy import preset_for  # noqa: E402
from vori.settings import load_settings  # noqa: E402
from vori.whisper_models import resolve_model  # noqa: E402

SPEECH = REPO.parent / "shared" / "data" / "speech"
FOLDERS = {"ko": "ko/naver", "en": "en/ljspeech"}
MAX_CLIP_S = 6


def timed(decoder: WhisperDecoder, audio: np.ndarray, request: DecodeRequest) -> float:
    started = time.perf_counter()
    decoder.decode(audio, request)
    return time.perf_counter() - started


def in_pairs(
    decoder: WhisperDecoder, audios: list[np.ndarray], request: DecodeRequest
) -> list[float]:
    """Each decode's seconds, two decodes at a time on two threads."""
    seconds: list[float] = []
    for first in range(0, len(audios) - 1, 2):
        pair = [0.0, 0.0]

        def run(k: int, audio: np.ndarray, into: list[float]) -> None:
            into[k] = timed(decoder, audio, request)

        threads = [threading.Thread(target=run, args=(k, audios[first + k], pair)) for k in (0, 1)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        seconds += pair
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--language", choices=sorted(FOLDERS), default="ko")
    parser.add_argument("--clips", type=int, default=8)
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--out", default=None, help="write the JSON here")
    args = parser.parse_args()

    settings = load_settings()
    t = settings.transcriber
    model = t.model_for(args.language)
    path = resolve_model(model, settings.data_dir / "models")
    chosen = sorted(clips(SPEECH, FOLDERS[args.language]).values(), key=lambda c: c.id)
    audios = [
        c.samples()[: MAX_CLIP_S * SAMPLE_RATE].astype(np.float32) / 32768
        for c in chosen[: args.clips]
    ]
    request = DecodeRequest(final=True, language=args.language, preset=preset_for(t, args.language))
    rows: list[dict[str, object]] = []
    print(f"{model}, {len(audios)} clips x {args.repeats}")
    print("| threads per decode | alone: p50 s | two at once: p50 s | decodes per s, two at once |")
    print("|---|---|---|---|")
    for threads in args.threads:
        decoder = WhisperDecoder(
            path,
            model,
            compute_type=t.compute_type,
            cpu_threads=threads,
            workers=2,
            encoder_margin_s=t.encoder_margin_s,
        )
        timed(decoder, audios[0], request)
        alone: list[float] = []
        paired: list[float] = []
        for _ in range(args.repeats):
            alone += [timed(decoder, audio, request) for audio in audios]
            paired += in_pairs(decoder, audios, request)
        row = {
            "threads": threads,
            "alone_p50_s": round(statistics.median(alone), 3),
            "paired_p50_s": round(statistics.median(paired), 3),
            "paired_decodes_per_s": round(2 / statistics.median(paired), 2),
        }
        rows.append(row)
        print(
            f"| {threads} | {row['alone_p50_s']} | {row['paired_p50_s']} | "
            f"{row['paired_decodes_per_s']} |"
        )
    if args.out:
        report = {
            "when": datetime.now(UTC).isoformat(timespec="seconds"),
            "machine": describe(),
            "model": model,
            "language": args.language,
            "clips": [c.id for c in chosen[: args.clips]],
            "repeats": args.repeats,
            "rows": rows,
        }
        Path(args.out).write_text(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
