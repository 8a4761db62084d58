"""`python -m summarizer.local_llm install|serve|status`: the local LLM, by hand or from make."""

from __future__ import annotations

import sys

from summarizer.local_llm.install import (
    LocalLlmError,
    install,
    model_path,
    model_verified,
    runtime_ready,
    serve,
)
from vori.settings import load_settings


def main(argv: list[str]) -> int:
    command = argv[0] if argv else "status"
    settings = load_settings()
    try:
        if command == "install":
            install(settings)
        elif command == "serve":
            serve(settings)
        elif command == "status":
            path = model_path(settings)
            print(f"model   {'verified' if model_verified(path) else 'MISSING'}  {path}")
            print(f"runtime {'ready' if runtime_ready(settings) else 'MISSING'}")
            return 0 if model_verified(path) and runtime_ready(settings) else 1
        else:
            print("usage: python -m summarizer.local_llm install|serve|status", file=sys.stderr)
            return 2
    except LocalLlmError as exc:
        print(f"local LLM: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
