"""Ask an OpenAI-compatible server for structured output, with timeouts and bounded retries."""

from __future__ import annotations

import json
import logging
import time
from typing import Any

import openai
from pydantic import ValidationError
from tenacity import (
    Retrying,
    retry_if_exception_type,
    stop_after_attempt,
    stop_after_delay,
    wait_exponential,
)

from summarizer.llm_schema import LlmAnswer, answer_schema
from summarizer.metrics import LLM_REQUESTS
from vori.settings import Settings

log = logging.getLogger(__name__)


class LlmUnavailableError(RuntimeError):
    """No valid answer within the attempts: the caller falls back to the rules."""


class InvalidAnswerError(ValueError):
    """The server answered, but not with JSON that satisfies the schema."""


def base_url_for(settings: Settings) -> str | None:
    """The server the summarizer talks to, or None for rules only."""
    mode = settings.summarizer.llm
    if mode == "off":
        return None
    if mode == "local":
        return f"http://{settings.host}:{settings.summarizer.local_port}/v1"
    return settings.openai_base_url


class LlmClient:
    """One chat-completions endpoint; `ask` returns a validated answer or raises."""

    def __init__(self, settings: Settings, base_url: str) -> None:
        config = settings.summarizer
        key = settings.openai_api_key.get_secret_value() if settings.openai_api_key else "none"
        self.model = config.model
        self.json_mode = config.json_mode
        self.max_attempts = config.max_attempts
        self.max_items = config.max_items
        self.overview_chars = config.llm_overview_chars
        self.timeout_s = config.timeout_s
        self.client = openai.OpenAI(
            base_url=base_url, api_key=key, timeout=config.timeout_s, max_retries=0
        )
        self.base_url = base_url

    def response_format(self) -> dict[str, Any]:
        schema = answer_schema(self.max_items, self.overview_chars)
        if self.json_mode == "json_object":
            return {"type": "json_object", "schema": schema}
        return {
            "type": "json_schema",
            "json_schema": {"name": "meeting_update", "schema": schema, "strict": False},
        }

    def ask(self, messages: list[dict[str, str]], *, timeout_s: float | None = None) -> LlmAnswer:
        """A validated answer; retried on timeouts, server errors and invalid answers, all
        within `timeout_s` when given (a final summary's budget)."""
        deadline = time.monotonic() + timeout_s if timeout_s is not None else None
        retrying = Retrying(
            stop=stop_after_attempt(self.max_attempts)
            | stop_after_delay(timeout_s if timeout_s is not None else 1e9),
            wait=wait_exponential(multiplier=0.5, max=4),
            retry=retry_if_exception_type((openai.APIError, InvalidAnswerError)),
            reraise=True,
        )
        try:
            for attempt in retrying:
                with attempt:
                    left = None if deadline is None else max(0.1, deadline - time.monotonic())
                    return self._ask_once(messages, left)
        except (openai.APIError, InvalidAnswerError) as exc:
            raise LlmUnavailableError(f"{self.base_url}: {exc}") from exc
        raise LlmUnavailableError("no attempt made")  # pragma: no cover - tenacity always tries

    def _ask_once(self, messages: list[dict[str, str]], timeout_s: float | None) -> LlmAnswer:
        started = time.monotonic()
        outcome = "error"
        try:
            answer = self._request(messages, timeout_s)
            outcome = "ok"
            return answer
        except InvalidAnswerError:
            outcome = "invalid"
            raise
        finally:
            LLM_REQUESTS.labels(outcome).observe(time.monotonic() - started)

    def _request(self, messages: list[dict[str, str]], timeout_s: float | None) -> LlmAnswer:
        client = (
            self.client
            if timeout_s is None
            else self.client.with_options(timeout=min(self.timeout_s, timeout_s))
        )
        completion = client.chat.completions.create(  # type: ignore[call-overload]
            model=self.model,
            messages=messages,
            response_format=self.response_format(),
            temperature=0,
            # Korean costs ~2 tokens a character: room for the bounded answer in either
            # (1,400 tokens with the local model's 300-character overview).
            max_tokens=800 + 2 * self.overview_chars,
        )
        content = completion.choices[0].message.content if completion.choices else None
        if not content:
            raise InvalidAnswerError("empty answer")
        try:
            return LlmAnswer.model_validate(json.loads(_unfence(content)))
        except (json.JSONDecodeError, ValidationError) as exc:
            log.warning("invalid LLM answer (%s): %.200s", type(exc).__name__, content)
            raise InvalidAnswerError(str(exc)[:300]) from exc


def _unfence(content: str) -> str:
    """Small models wrap JSON in Markdown fences even when asked not to."""
    text = content.strip()
    if text.startswith("```"):
        text = text.split("\n", 1)[1] if "\n" in text else ""
        text = text.rsplit("```", 1)[0]
    return text
