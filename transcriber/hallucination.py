"""Guard against sentences Whisper invents on quiet or non-speech audio (pure).

On room tone, breathing, a door or a far voice, Whisper writes the subtitle lines of its
training data ("Thank you.", "you", "수고하셨습니다", "시청해주셔서 감사합니다"). A phrase
list alone would also drop a real "thank you", so the guard weighs evidence: what the
decoder says of itself (no-speech probability, average log-probability), what the audio
is (the share of frames a fresh VAD calls voiced, its signal-to-noise ratio, its level
against the stream's own speech), whether the text could have been spoken in the voiced
time, and, as one vote among these, whether it is a known stock phrase. A final is
withdrawn only when enough votes agree; a withdrawn final is published empty.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import webrtcvad

from transcriber.pcm import SAMPLE_RATE, Samples
from transcriber.policy import normalised_phrase

FRAME = SAMPLE_RATE * 30 // 1000  # 30 ms, a frame size webrtcvad accepts

# Lines Whisper writes on silence and noise (subtitle credits and sign-offs of its
# training data), normalised by `normalised_phrase`.
STOCK_PHRASES = frozenset(
    {
        "you",
        "thank you",
        "thanks",
        "thank you very much",
        "thank you so much",
        "thanks for watching",
        "thank you for watching",
        "thank you so much for watching",
        "thank you for watching and ill see you in the next video",
        "see you in the next video",
        "see you next time",
        "please subscribe",
        "subscribe to my channel",
        "bye",
        "bye bye",
        "감사합니다",
        "수고하셨습니다",
        "수고하셨어요",
        "고맙습니다",
        "시청해주셔서 감사합니다",
        "시청해 주셔서 감사합니다",
        "구독과 좋아요 부탁드립니다",
        "구독과 좋아요",
        "다음 영상에서 만나요",
        "mbc 뉴스 이덕영입니다",
    }
)
# Substrings that mark a subtitle credit wherever they appear.
CREDIT_MARKERS = (
    "subtitles by",
    "amaraorg",
    "transcribed by",
    "captions by",
    "구독과 좋아요",
    "시청해주셔서",
    "시청해 주셔서",
    "자막 제공",
    "자막by",
)

# How fast people speak, in characters of normalised text per voiced second: measured
# reading speed is about 15 (English, spaces included) and 7 syllables (Korean); a
# sentence much faster than that was not in the audio.
MAX_CHARS_PER_S = {"ko": 14.0}
DEFAULT_MAX_CHARS_PER_S = 30.0
SNR_MIN_S = 1.5


@dataclass(frozen=True)
class AudioEvidence:
    """What the audio of one utterance is, measured without the decoder."""

    duration_s: float
    voiced_share: float  # frames a fresh webrtcvad calls speech
    active_dbfs: float  # level of its loudest tenth of frames
    snr_db: float  # that level over its quietest tenth


@dataclass(frozen=True)
class Evidence:
    """Everything the guard weighs for one decoded utterance."""

    text: str
    language: str | None
    audio: AudioEvidence
    no_speech_prob: float
    avg_logprob: float
    stream_speech_dbfs: float | None = None  # the stream's usual speech level, once known


@dataclass(frozen=True)
class GuardThresholds:
    """Where each piece of evidence starts to count against the text.

    Set on the tuning split of bench/hallucination.py: a real, cut-out "Thanks." had a
    no-speech probability of 0.73 and only a quarter of its frames voiced (a fresh VAD
    misses the first frames of a short word), and real short Korean questions decode at
    log-probabilities down to -1.6, so these votes start well past such values.
    """

    no_speech_prob: float = 0.8
    avg_logprob: float = -1.0
    voiced_share: float = 0.1
    snr_db: float = 6.0
    below_speech_db: float = 15.0
    votes_to_withdraw: int = 3


@dataclass(frozen=True)
class GuardVerdict:
    """Keep or withdraw, with the votes that decided it (for metrics and logs)."""

    keep: bool
    votes: tuple[str, ...] = field(default=())


def audio_evidence(samples: Samples, *, aggressiveness: int = 2) -> AudioEvidence:
    """Voiced share, active level and signal-to-noise ratio of one utterance's samples."""
    n = len(samples) // FRAME
    duration = len(samples) / SAMPLE_RATE
    if n == 0:
        return AudioEvidence(duration, 0.0, -math.inf, 0.0)
    frames = np.asarray(samples[: n * FRAME], dtype=np.int16).reshape(n, FRAME)
    vad = webrtcvad.Vad(aggressiveness)
    voiced = sum(vad.is_speech(f.tobytes(), SAMPLE_RATE) for f in frames)
    power = np.mean(np.square(frames.astype(np.float64)), axis=1)
    db = 10.0 * np.log10(np.maximum(power, 1.0) / 32768.0**2)
    active = float(np.percentile(db, 90))
    floor = float(np.percentile(db, 10))
    return AudioEvidence(duration, voiced / n, active, active - floor)


def is_stock_phrase(text: str) -> bool:
    """Whether a text is one of Whisper's stock lines (exact, after normalising)."""
    phrase = normalised_phrase(text)
    compact = phrase.replace(" ", "")
    if phrase in STOCK_PHRASES or compact in {p.replace(" ", "") for p in STOCK_PHRASES}:
        return True
    return any(marker.replace(" ", "") in compact for marker in CREDIT_MARKERS)


def text_rate(text: str, voiced_s: float) -> float:
    """Normalised characters per voiced second (spaces excluded)."""
    chars = len(normalised_phrase(text).replace(" ", ""))
    return chars / max(voiced_s, 0.15)


def assess(evidence: Evidence, thresholds: GuardThresholds) -> GuardVerdict:
    """Keep the text unless enough independent evidence says it was not spoken.

    The stock-phrase match is one vote; alone it never withdraws a final.
    """
    if not evidence.text.strip():
        return GuardVerdict(True)
    if not normalised_phrase(evidence.text):
        return GuardVerdict(False, ("no words",))  # "...", "♪": nothing anyone said
    audio = evidence.audio
    votes: list[str] = []
    if is_stock_phrase(evidence.text):
        votes.append("stock phrase")
    if evidence.no_speech_prob >= thresholds.no_speech_prob:
        votes.append("no-speech probability")
    if evidence.avg_logprob <= thresholds.avg_logprob:
        votes.append("low log-probability")
    if audio.voiced_share < thresholds.voiced_share:
        votes.append("little voiced audio")
    # Within a short utterance every frame may be voiced: its spread says nothing then.
    if audio.duration_s >= SNR_MIN_S and audio.snr_db < thresholds.snr_db:
        votes.append("no louder than its noise")
    if (
        evidence.stream_speech_dbfs is not None
        and audio.active_dbfs < evidence.stream_speech_dbfs - thresholds.below_speech_db
    ):
        votes.append("far below the stream's speech")
    limit = MAX_CHARS_PER_S.get(evidence.language or "", DEFAULT_MAX_CHARS_PER_S)
    if text_rate(evidence.text, audio.voiced_share * audio.duration_s) > limit:
        votes.append("more text than voiced time")
    return GuardVerdict(len(votes) < thresholds.votes_to_withdraw, tuple(votes))


class SpeechLevel:
    """The usual level of a stream's kept speech: the median of its recent utterances.
    Not fed by the transcriber's lane until the level travels in the commit checkpoint
    (a replay must decide every final as the first run did)."""

    def __init__(self, window: int = 15) -> None:
        self._levels: list[float] = []
        self._window = window

    @property
    def dbfs(self) -> float | None:
        """None until three utterances were kept: too little to compare against."""
        if len(self._levels) < 3:
            return None
        return float(np.median(self._levels))

    def observe(self, audio: AudioEvidence) -> None:
        """Count a kept utterance that was clearly speech."""
        if math.isfinite(audio.active_dbfs):
            self._levels = [*self._levels, audio.active_dbfs][-self._window :]
