"""The action-item detector's model: the shipped file, and its TF-IDF part read as
scikit-learn (which trains it, bench/train_detector.py) computes it."""

from __future__ import annotations

from datetime import date

import numpy as np
import pytest
from sklearn.feature_extraction.text import TfidfVectorizer

from summarizer.detector import CUE_NAMES, DetectorModel, TermModel, terms
from summarizer.facts import MeetingFacts, Member, Utterance
from summarizer.reading import read_meeting

TRAINING = [
    "I'll send the minutes to everyone by Friday",
    "we need to look at the components before the next meeting",
    "okay so the remote control should have a scroll wheel",
    "can you send me the slides after the meeting",
    "the marketing expert will look into trend watching",
    "yeah I think the the battery is fine the battery",
]


def term_model(vectorizer: TfidfVectorizer, weight: dict[str, float], width: int) -> TermModel:
    return TermModel(
        weights=np.zeros(width, dtype=np.float32),
        bias=0.0,
        idf={t: float(vectorizer.idf_[c]) for t, c in vectorizer.vocabulary_.items()},
        weight=weight,
        min_known=0.5,
    )


def test_the_term_logit_is_scikit_learns_tfidf_dotted_with_the_weights() -> None:
    vectorizer = TfidfVectorizer(ngram_range=(1, 2), min_df=1, sublinear_tf=True)
    vectorizer.fit(TRAINING)
    rng = np.random.default_rng(7)
    coef = rng.normal(size=len(vectorizer.vocabulary_))
    weight = {t: float(coef[c]) for t, c in vectorizer.vocabulary_.items()}
    model = term_model(vectorizer, weight, 4)
    said = [
        "The battery, the battery: I'll send it by Friday!",
        "can you look at the scroll wheel",
        "nothing here is known at all",
    ]
    expected = vectorizer.transform(said) @ coef
    for text, value in zip(said, expected, strict=True):
        assert model.term_logit(text) == pytest.approx(float(value), abs=1e-9)


def test_terms_are_words_of_two_or_more_characters_and_their_pairs() -> None:
    assert terms("I'll send it, OK?") == ["ll", "send", "it", "ok", "ll send", "send it", "it ok"]


def test_a_segment_mostly_unknown_to_the_terms_is_left_to_the_embedding_model() -> None:
    vectorizer = TfidfVectorizer(ngram_range=(1, 2), min_df=1, sublinear_tf=True)
    vectorizer.fit(TRAINING)
    width = 8 + len(CUE_NAMES)
    terms_model = term_model(vectorizer, dict.fromkeys(vectorizer.vocabulary_, 5.0), width)
    model = DetectorModel(
        weights=np.zeros(width, dtype=np.float32),
        bias=-3.0,
        threshold=0.95,
        candidate_threshold=0.9,
        min_words=4,
        terms=terms_model,
    )
    english = "I'll send the minutes to everyone"
    korean = "제가 회의록을 금요일까지 보내 드릴게요"
    assert terms_model.knows(english)
    assert not terms_model.knows(korean)
    vectors = np.zeros((2, 8), dtype=np.float32)
    scored = model.probabilities([english, korean], vectors)
    assert scored[0] > 0.5  # the terms' weights count
    assert scored[1] == pytest.approx(1 / (1 + np.exp(3.0)), rel=1e-6)  # the embedding model's


def test_the_shipped_model_is_the_pinned_one_with_its_terms() -> None:
    model = DetectorModel.load()
    assert model.terms is not None
    assert len(model.terms.idf) > 1000
    assert model.terms.weights.shape == model.weights.shape
    assert 0.5 < model.candidate_threshold <= model.threshold < 1.0


def test_a_thorough_reading_takes_commitments_a_selective_one_leaves() -> None:
    """`tasks = "thorough"` lowers both bars of the shipped model; a segment the detector
    scores between them is a card only then."""
    model = DetectorModel.load()
    selective, thorough = model.thresholds("selective"), model.thresholds("thorough")
    assert (selective.task, selective.candidate) == (model.threshold, model.candidate_threshold)
    assert thorough.task < selective.candidate
    assert thorough.candidate < selective.candidate
    assert (thorough.named_bonus, thorough.wrap_up_bonus) == (
        selective.named_bonus,
        selective.wrap_up_bonus,
    )
    facts = MeetingFacts("m1", "en", date(2026, 11, 2), "UTC", (Member("u1", "Ann"),))
    score = (thorough.task + selective.candidate) / 2
    line = "I'll rerun the baseline on the new features."
    said = [Utterance("s1", "Ann", 0.0, line, "u1", action_score=score)]
    cards = {
        tasks: [t.title for t in read_meeting(facts, said, bars)[0].open_tasks()]
        for tasks, bars in (("selective", selective), ("thorough", thorough))
    }
    assert cards == {"selective": [], "thorough": ["Rerun the baseline on the new features"]}
