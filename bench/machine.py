"""The machine a benchmark ran on, written into its JSON.

The same code and packages decode en/mfa at WER 0.287 on one 2-core machine and 0.310 on
another, each replaying its own number exactly (docs/vad.md, 2026-12-04): a result is
only comparable with others from the same CPU. CTranslate2 picks its int8 kernels by the
instruction set, so the CPU flags that choose them are recorded with the CPU's name.
"""

from __future__ import annotations

import os
from pathlib import Path

import ctranslate2

# The instruction sets CTranslate2's CPU kernels are chosen by (AVX, AVX2, AVX-512), FMA,
# and the VNNI int8 dot products.
ISA_FLAGS = ("avx", "avx2", "fma", "avx512f", "avx512bw", "avx512_vnni", "avx_vnni")


def _cpuinfo() -> dict[str, str]:
    """The first processor's fields of /proc/cpuinfo (empty where there is none)."""
    try:
        text = Path("/proc/cpuinfo").read_text()
    except OSError:
        return {}
    fields: dict[str, str] = {}
    for line in text.split("\n\n", 1)[0].splitlines():
        key, _, value = line.partition(":")
        fields[key.strip()] = value.strip()
    return fields


def describe() -> dict[str, object]:
    """CPU model, cores, the ISA flags the decoder's kernels depend on, CTranslate2's version."""
    info = _cpuinfo()
    flags = set(info.get("flags", "").split())
    return {
        "cpu": info.get("model name", "unknown"),
        # A VM's model name can be as vague as "AMD EPYC": family and model tell the core.
        "cpu_family_model": f"{info.get('cpu family', '?')}/{info.get('model', '?')}",
        "cores": os.cpu_count(),
        "isa": [f for f in ISA_FLAGS if f in flags],
        "ctranslate2": ctranslate2.__version__,
    }
