"""Find a due-date phrase in a sentence and resolve it to a calendar date.

Relative phrases are resolved against the meeting's local date (its time zone applied by
the caller). Week-relative phrases follow what people mean at work: "this week" and
"next week" are that week's Friday, "next Friday" is the Friday of next week, a bare
weekday is its next occurrence after the meeting day. Everything else ("March 20",
"in two weeks", "3월 20일") goes to `dateparser`.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import dateparser

_EN_DAYS = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
_KO_DAYS = ["월", "화", "수", "목", "금", "토", "일"]
_MONTHS = (
    "january|february|march|april|may|june|july|august|september|october|november|december"
    "|jan|feb|mar|apr|jun|jul|aug|sep|sept|oct|nov|dec"
)
_EN_DAY = r"(?:mon|tues|wednes|thurs|fri|satur|sun)day"
_EN_EXPR = (
    r"(?:(?:the\s+)?day\s+after\s+tomorrow|tomorrow|today|tonight|eod|cob|end\s+of\s+(?:the\s+)?day"
    r"|this\s+(?:morning|afternoon|evening)|later\s+today"
    r"|end\s+of\s+(?:the\s+|this\s+|next\s+)?(?:week|month)|(?:this|next)\s+(?:week|month)"
    rf"|(?:this\s+|next\s+|coming\s+)?{_EN_DAY}(?:\s+(?:morning|afternoon|noon|evening|eod))?"
    r"|in\s+(?:a|one|two|three|four|\d+)\s+(?:days?|weeks?)"
    rf"|(?:{_MONTHS})\.?\s+\d{{1,2}}(?:st|nd|rd|th)?|(?:the\s+)?\d{{1,2}}(?:st|nd|rd|th)(?:\s+of\s+(?:{_MONTHS}))?"
    r"|\d{4}-\d{2}-\d{2}|\d{1,2}/\d{1,2})"
)
EN_DUE = re.compile(
    rf"\b(?:(?:by|before|until|till|due|no\s+later\s+than|on|for|to)\s+(?:the\s+)?)?(?P<expr>{_EN_EXPR})\b",
    re.IGNORECASE,
)
_KO_DAY = r"[월화수목금토일]요일"
_KO_EXPR = (
    rf"(?:오늘|내일|모레|글피|(?:이번|다음|담)\s?주(?:\s?{_KO_DAY})?|(?:이번\s?주\s?)?주말|{_KO_DAY}"
    r"|월말|이달\s?말|다음\s?달(?:\s?초|\s?말)?|\d{1,2}월\s?\d{1,2}일|\d{1,2}일|\d+\s?(?:일|주)\s?(?:후|뒤))"
)
KO_DUE = re.compile(
    rf"(?P<expr>{_KO_EXPR})(?P<tail>\s?(?:까지|전까지|중으로|중에|안에|에|로|으로|쯤))?"
)


@dataclass(frozen=True)
class DuePhrase:
    """A due-date phrase found in a sentence: its span, its words and the date it means."""

    start: int
    end: int
    text: str
    due: date | None


def find_due(sentence: str, meeting_date: date, language: str = "en") -> DuePhrase | None:
    """The last due-date phrase of a sentence (the last one usually wins: "Friday, no, Monday")."""
    patterns = [KO_DUE, EN_DUE] if language == "ko" or _has_hangul(sentence) else [EN_DUE]
    for pattern in patterns:
        matches = list(pattern.finditer(sentence))
        for match in reversed(matches):
            expr = match.group("expr")
            if _negated(sentence, match.start(), match.end()):
                continue  # "Friday, not Thursday" / "목요일 말고 금요일"
            if pattern is KO_DUE and re.fullmatch(r"\d{1,2}일", expr) and not match.group("tail"):
                continue  # "3일" alone is a count of days more often than a date
            due = resolve_due(expr, meeting_date)
            if due is not None:
                return DuePhrase(match.start(), match.end(), match.group(0), due)
    return None


def _negated(sentence: str, start: int, end: int) -> bool:
    before = sentence[max(0, start - 12) : start].casefold()
    after = sentence[end : end + 5]
    return bool(re.search(r"(?:\bnot|instead of|rather than)\s*$", before)) or bool(
        re.match(r"\s?(?:말고|아니고|대신)", after)
    )


def resolve_due(phrase: str, meeting_date: date) -> date | None:
    """The calendar date a due phrase means, seen from the meeting's local date."""
    text = re.sub(r"\s+", " ", phrase.strip().casefold())
    text = re.sub(r"^(?:by|before|until|till|due|no later than|on|for|to) (?:the )?", "", text)
    fixed = _fixed(text, meeting_date)
    if fixed is not None:
        return fixed
    weekday = _weekday(text, meeting_date)
    if weekday is not None:
        return weekday
    text = re.sub(r"(까지|전까지|중으로|중에|안에|쯤)$", "", text).strip()
    text = text.removesuffix(" eod")
    base = datetime(meeting_date.year, meeting_date.month, meeting_date.day, 12, 0)
    parsed = dateparser.parse(
        text,
        languages=["ko", "en"] if _has_hangul(text) else ["en"],
        settings={"RELATIVE_BASE": base, "PREFER_DATES_FROM": "future", "DATE_ORDER": "MDY"},
    )
    return parsed.date() if parsed is not None else None


def _fixed(text: str, today: date) -> date | None:
    friday = today + timedelta(days=(4 - today.weekday()))
    table = {
        (
            "today",
            "tonight",
            "eod",
            "cob",
            "end of day",
            "end of the day",
            "this morning",
            "this afternoon",
            "this evening",
            "later today",
            "오늘",
            "오늘 오후",
            "오늘 중",
        ): today,
        ("tomorrow", "내일"): today + timedelta(days=1),
        ("day after tomorrow", "the day after tomorrow", "모레"): today + timedelta(days=2),
        ("글피",): today + timedelta(days=3),
        (
            "this week",
            "end of the week",
            "end of week",
            "end of this week",
            "이번 주",
            "이번주",
        ): max(friday, today),
        ("next week", "end of next week", "다음 주", "다음주", "담주"): friday + timedelta(days=7),
        ("주말", "이번 주말", "이번주 주말", "이번주주말"): today
        + timedelta(days=(5 - today.weekday()) % 7),
        (
            "end of the month",
            "end of month",
            "end of this month",
            "월말",
            "이달 말",
            "이달말",
        ): today.replace(day=calendar.monthrange(today.year, today.month)[1]),
    }
    for phrases, value in table.items():
        if text in phrases:
            return value
    return None


def _weekday(text: str, today: date) -> date | None:
    """'Friday', 'this Friday', 'next Friday', '다음 주 금요일', '금요일'."""
    match = re.fullmatch(
        rf"(?:(this|next|coming) )?({'|'.join(_EN_DAYS)})(?: (?:morning|afternoon|n"
        rf"oon|evening|eod))?",
        text,
    )
    if match:
        which, day = match.group(1), _EN_DAYS.index(match.group(2))
    else:
        ko = re.fullmatch(r"(?:(이번|다음|담) ?주 ?)?([월화수목금토일])요일", text)
        if not ko:
            return None
        which = {"이번": "this", "다음": "next", "담": "next"}.get(ko.group(1) or "")
        day = _KO_DAYS.index(ko.group(2))
    monday = today - timedelta(days=today.weekday())
    if which == "next":
        return monday + timedelta(days=7 + day)
    candidate = monday + timedelta(days=day)
    if candidate <= today:
        candidate += timedelta(days=7)
    return candidate


def _has_hangul(text: str) -> bool:
    return any("\uac00" <= ch <= "\ud7a3" for ch in text)
