"""Invented sentences on real non-speech, and real speech kept, with and without the guard.

    .venv/bin/python bench/hallucination.py [--limit-clips N] [--threads T]
        [--vad webrtc silero] [--segmenter-only]

Non-speech: the stretches of the shared recordings (../shared/data/speech) where a
permissive webrtcvad (mode 0) hears no speech for at least 0.5 s, 0.15 s away from any
voiced frame: real room tone, breath and hiss of many microphones. The shared data has
no music and no noise recordings. It is decoded twice: at its recorded level, and with
its loud frames raised to -35 dBFS (what a microphone's automatic gain makes of a quiet
room; above the transcriber's energy gate), each (a) as the segmenter cuts it in a
stream and (b) as fixed windows of 1, 2, 3 and 5 s, the worst case where VAD lets
noise through. Speech: every Korean clip, the English clips that contain "you" or
"thanks", the short English clips, and cut-outs of real words ("you", "thank you",
Korean sentence endings) as short utterances. Decoded exactly as finals are (the
transcriber's WhisperDecoder and presets: tiny.en for English, base for Korean), then
judged by the existing policy alone ("without") and by the policy plus the guard
("with"). Clips alternate between a tuning and a reporting split (by index); the
guard's thresholds were set on the tuning split. Writes bench/results/hallucination.json.

`--vad`: cut the non-speech with each VAD engine's segmenter (kind
`nonspeech-segmenter` for webrtcvad, `nonspeech-segmenter-silero` for Silero);
`--segmenter-only` decodes only those cuts (what differs between engines). The stretches
are chosen by webrtcvad (above), which favours webrtcvad's segmenter a little.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import webrtcvad

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from tests.helpers.speech_data import find_speech_dir  # noqa: E402
from tests.helpers.transcriber import Clip, clips  # noqa: E402
from transcriber.decoder import Decoded, DecodeRequest, WhisperDecoder  # noqa: E402
from transcriber.hallucination import (  # noqa: E402
    AudioEvidence,
    Evidence,
    GuardThresholds,
    assess,
    audio_evidence,
)
from transcriber.pcm import SAMPLE_RATE, loudest_dbfs, to_float  # noqa: E402
from transcriber.policy import DecodeStats, judge, preset_for  # noqa: E402
from transcriber.segmenter import Checkpoint as SegmenterCheckpoint  # noqa: E402
from transcriber.segmenter import Closed, Segmenter, SegmenterConfig  # noqa: E402
from transcriber.vad import ClassifierFactory, classifier_factory  # noqa: E402
from vori.settings import Settings  # noqa: E402
from vori.whisper_models import resolve_model  # noqa: E402

FRAME = SAMPLE_RATE * 30 // 1000
WINDOWS_S = (1.0, 2.0, 3.0, 5.0)
AGC_DBFS = -35.0
WORDS = re.compile(r"\b(you|thank|thanks|bye)\b", re.IGNORECASE)


@dataclass
class Case:
    """One decoded piece of audio with everything the guard weighs."""

    kind: str  # nonspeech-segmenter, nonspeech-window, speech-clip, speech-cut
    level: str  # raw, agc, recorded
    lang: str
    split: str  # tune or report
    source: str
    text: str
    no_speech_prob: float
    avg_logprob: float
    audio: dict[str, float]
    stream_speech_dbfs: float | None
    kept_by_policy: bool
    reference: str = ""


def nonspeech_of(samples: np.ndarray) -> list[np.ndarray]:
    """Stretches of at least 0.5 s that a permissive VAD finds 0.15 s away from any speech."""
    vad = webrtcvad.Vad(0)
    n = len(samples) // FRAME
    voiced = np.array(
        [
            vad.is_speech(samples[i * FRAME : (i + 1) * FRAME].tobytes(), SAMPLE_RATE)
            for i in range(n)
        ]
    )
    near = np.convolve(voiced.astype(int), np.ones(11, dtype=int), mode="same") > 0  # ±0.15 s
    runs: list[np.ndarray] = []
    start = None
    for i, busy in enumerate([*near, True]):
        if not busy and start is None:
            start = i
        elif busy and start is not None:
            if i - start >= 17:
                runs.append(samples[start * FRAME : i * FRAME])
            start = None
    return runs


def scaled(samples: np.ndarray, target_dbfs: float) -> np.ndarray:
    ev = audio_evidence(samples)
    gain = 10 ** ((target_dbfs - ev.active_dbfs) / 20)
    return np.clip(samples.astype(np.float64) * gain, -32768, 32767).astype(np.int16)


class Decoders:
    def __init__(self, threads: int) -> None:
        self.settings = Settings().transcriber
        cache = Settings().data_dir / "models"
        self.en = WhisperDecoder(
            resolve_model("tiny.en", cache), "tiny.en", cpu_threads=threads, encoder_margin_s=8.0
        )
        self.ko = WhisperDecoder(
            resolve_model("base", cache), "base", cpu_threads=threads, encoder_margin_s=8.0
        )

    def decode(self, samples: np.ndarray, lang: str) -> Decoded:
        decoder = self.ko if lang == "ko" else self.en
        request = DecodeRequest(final=True, language=lang, preset=preset_for(self.settings, lang))
        return decoder.decode(to_float(samples), request)

    def case(
        self,
        samples: np.ndarray,
        *,
        kind: str,
        level: str,
        lang: str,
        split: str,
        source: str,
        stream_dbfs: float | None,
        reference: str = "",
    ) -> tuple[Case, Decoded]:
        decoded = self.decode(samples, lang)
        stats = DecodeStats(
            decoded.text,
            decoded.avg_logprob,
            decoded.no_speech_prob,
            decoded.compression_ratio,
            decoded.temperature,
            loudest_dbfs(samples),
        )
        verdict = judge(stats, preset_for(self.settings, lang), lang, gate_dbfs=-50.0)
        ev = audio_evidence(samples)
        case = Case(
            kind,
            level,
            lang,
            split,
            source,
            verdict.text if verdict.keep else "",
            decoded.no_speech_prob,
            decoded.avg_logprob,
            asdict(ev),
            stream_dbfs,
            verdict.keep,
            reference,
        )
        return case, decoded


def guard_keeps(case: Case, thresholds: GuardThresholds, *, use_level: bool = True) -> bool:
    if not case.kept_by_policy:
        return False
    evidence = Evidence(
        case.text,
        case.lang,
        AudioEvidence(**case.audio),
        case.no_speech_prob,
        case.avg_logprob,
        case.stream_speech_dbfs if use_level else None,
    )
    return assess(evidence, thresholds).keep


def all_clips(speech: Path) -> dict[str, list[Clip]]:
    folders = sorted(p.parent.relative_to(speech) for p in speech.glob("*/*/manifest.jsonl"))
    return {str(f): sorted(clips(speech, str(f)).values(), key=lambda c: c.id) for f in folders}


def segmenters(engines: list[str]) -> list[tuple[str, SegmenterConfig, ClassifierFactory]]:
    """(case kind, config, classifier factory) of each VAD engine's segmenter."""
    out = []
    for engine in engines:
        config = SegmenterConfig(vad_engine=engine, frame_ms=32 if engine == "silero" else 30)
        kind = "nonspeech-segmenter" + ("" if engine == "webrtc" else f"-{engine}")
        out.append((kind, config, classifier_factory(config)))
    return out


def collect(
    decoders: Decoders,
    speech: Path,
    limit: int | None,
    engines: list[str],
    segmenter_only: bool = False,
) -> list[Case]:
    cases: list[Case] = []
    cutters = segmenters(engines)
    folders = all_clips(speech)
    levels = {
        f: float(np.median([audio_evidence(c.samples()).active_dbfs for c in cs]))
        for f, cs in folders.items()
    }
    # Non-speech, per folder, each stretch decoded in both languages' models.
    for folder, cs in folders.items():
        for i, clip in enumerate(cs[:limit]):
            split = "tune" if i % 2 == 0 else "report"
            for run in nonspeech_of(clip.samples()):
                for level in ("raw", "agc"):
                    audio = run if level == "raw" else scaled(run, AGC_DBFS)
                    stream_dbfs = levels[folder] if level == "raw" else None
                    pieces: list[tuple[str, np.ndarray]] = []
                    for kind, config, factory in cutters:
                        seg = Segmenter(config, SegmenterCheckpoint(0), factory())
                        events = seg.feed(0, audio) + seg.finish()
                        pieces += [
                            (kind, audio[e.utterance.start : e.utterance.end])
                            for e in events
                            if isinstance(e, Closed)
                        ]
                    at, k = 0, 0
                    while at < len(audio) and not segmenter_only:
                        n = int(WINDOWS_S[k % len(WINDOWS_S)] * SAMPLE_RATE)
                        if len(audio) - at >= SAMPLE_RATE // 2:
                            pieces.append(("nonspeech-window", audio[at : at + n]))
                        at, k = at + n, k + 1
                    for kind, piece in pieces:
                        for lang in ("en", "ko"):
                            case, _ = decoders.case(
                                piece,
                                kind=kind,
                                level=level,
                                lang=lang,
                                split=split,
                                source=f"{folder}/{clip.id}",
                                stream_dbfs=stream_dbfs,
                            )
                            cases.append(case)
        print(f"non-speech of {folder}: {len(cases)} decodes so far", flush=True)
    # Speech: whole clips and cut-outs of the words that Whisper also invents.
    for folder, cs in ({} if segmenter_only else folders).items():
        lang = "ko" if folder.startswith("ko") else "en"
        for i, clip in enumerate(cs[:limit]):
            wanted = (
                lang == "ko"
                or WORDS.search(clip.text)
                or clip.duration_s < 4.0
                or folder in ("en/pocketsphinx", "en/cmu_arctic", "en/librispeech_1089")
            )
            if not wanted:
                continue
            split = "tune" if i % 2 == 0 else "report"
            samples = clip.samples()
            case, decoded = decoders.case(
                samples,
                kind="speech-clip",
                level="recorded",
                lang=lang,
                split=split,
                source=f"{folder}/{clip.id}",
                stream_dbfs=levels[folder],
                reference=clip.text,
            )
            cases.append(case)
            for start, end, said in cuts(decoded, lang):
                lo = max(0, int((start - 0.15) * SAMPLE_RATE))
                hi = min(len(samples), int((end + 0.3) * SAMPLE_RATE))
                if hi - lo < SAMPLE_RATE // 4:
                    continue
                cut, _ = decoders.case(
                    samples[lo:hi],
                    kind="speech-cut",
                    level="recorded",
                    lang=lang,
                    split=split,
                    source=f"{folder}/{clip.id}@{start:.2f}",
                    stream_dbfs=levels[folder],
                    reference=said,
                )
                cases.append(cut)
        print(f"speech of {folder}: {len(cases)} decodes so far", flush=True)
    return cases


def cuts(decoded: Decoded, lang: str) -> list[tuple[float, float, str]]:
    """Real words to cut out: "you", "thank you"... in English, the last word in Korean."""
    words = decoded.words
    if lang == "ko":
        return [(words[-1].start, words[-1].end, words[-1].word.strip())] if words else []
    out = []
    for i, w in enumerate(words):
        if WORDS.search(w.word):
            first = words[i - 1] if i > 0 and "thank" in words[i - 1].word.lower() else w
            out.append((first.start, w.end, f"{first.word}{w.word if first is not w else ''}"))
    return out


def summarise(cases: list[Case], thresholds: GuardThresholds) -> dict[str, dict[str, object]]:
    table: dict[str, dict[str, object]] = {}
    groups: dict[tuple[str, str, str], list[Case]] = {}
    for c in cases:
        groups.setdefault((c.kind, c.level, c.split), []).append(c)
    for (kind, level, split), group in sorted(groups.items()):
        seconds = sum(c.audio["duration_s"] for c in group)
        without = [c for c in group if c.kept_by_policy and c.text]
        with_guard = [c for c in without if guard_keeps(c, thresholds)]
        no_level = [c for c in without if guard_keeps(c, thresholds, use_level=False)]
        table[f"{kind}/{level}/{split}"] = {
            "decodes": len(group),
            "seconds": round(seconds, 1),
            "texts_without_guard": len(without),
            "texts_with_guard": len(with_guard),
            "texts_with_guard_no_stream_level": len(no_level),
            "words_without_guard": sum(len(c.text.split()) for c in without),
            "words_with_guard": sum(len(c.text.split()) for c in with_guard),
            "examples_without": sorted({c.text for c in without})[:12],
            "examples_with": sorted({c.text for c in with_guard})[:12],
            "withdrawn": sorted({c.text for c in without if c not in with_guard})[:12],
        }
    return table


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--limit-clips", type=int, default=None, help="clips per folder")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--cases", type=Path, help="re-score saved cases instead of decoding")
    parser.add_argument(
        "--vad", nargs="+", choices=["webrtc", "silero"], default=["webrtc"], help="VAD engines"
    )
    parser.add_argument(
        "--segmenter-only", action="store_true", help="decode only the segmenters' cuts"
    )
    parser.add_argument("--out", type=Path, default=REPO / "bench/results/hallucination.json")
    args = parser.parse_args()
    guard = Settings().transcriber.hallucination_guard
    thresholds = GuardThresholds(**guard.model_dump(exclude={"enabled"}))
    started = time.perf_counter()
    if args.cases:
        cases = [Case(**c) for c in json.loads(args.cases.read_text())["cases"]]
    else:
        speech = find_speech_dir()
        if speech is None:
            raise SystemExit("no shared speech data (../shared/data/speech)")
        cases = collect(
            Decoders(args.threads), speech, args.limit_clips, args.vad, args.segmenter_only
        )
    table = summarise(cases, thresholds)
    print(
        f"\n{'kind/level/split':42} {'dec':>5} {'sec':>7} {'texts w/o':>9} {'with':>5}"
        f" {'no-lvl':>6} {'words w/o':>9} {'with':>5}"
    )
    for key, row in table.items():
        print(
            f"{key:42} {row['decodes']:>5} {row['seconds']:>7} {row['texts_without_guard']:>9}"
            f" {row['texts_with_guard']:>5} {row['texts_with_guard_no_stream_level']:>6}"
            f" {row['words_without_guard']:>9} {row['words_with_guard']:>5}"
        )
    dropped = [
        c
        for c in cases
        if c.kind.startswith("speech")
        and c.kept_by_policy
        and c.text
        and not guard_keeps(c, thresholds)
    ]
    print(f"\nreal speech withdrawn by the guard: {len(dropped)}")
    for c in dropped:
        print(f"  {c.source}: {c.text!r} (ref {c.reference[:40]!r})")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(
        json.dumps(
            {
                "thresholds": asdict(thresholds),
                "seconds": round(time.perf_counter() - started, 1),
                "table": table,
                "speech_withdrawn": [asdict(c) for c in dropped],
                "cases": [asdict(c) for c in cases],
            },
            ensure_ascii=False,
            indent=1,
        )
    )
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
