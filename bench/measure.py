"""What the benchmarks share: one thread, peak memory of a fresh process, percentiles, and running
a benchmark script's own workers in fresh interpreters."""

from __future__ import annotations

import os

# One core, as the Lambda analyzer is sized; set before numpy/OpenCV/onnxruntime load their pools.
for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMEXPR_NUM_THREADS"):
    os.environ[_var] = "1"
os.environ.setdefault("VETRINA_ORT_THREADS", "1")

import resource  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from collections.abc import Callable  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


def single_thread() -> None:
    import cv2

    cv2.setNumThreads(1)


def peak_rss_mb() -> float:
    """Peak resident memory of this process, C buffers included.

    ru_maxrss survives fork + exec on Linux: a worker started by a parent that once held 300 MB
    reports at least 300 MB. So the parent stays small (the photos are generated in a subprocess
    too), and where /proc is available the kernel's high-water mark of this process's own
    address space (VmHWM, reset by exec) is used instead.
    """
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux reports KiB


def current_rss_mb() -> float:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(share * (len(ordered) - 1))))]


def run_fresh(script: str, *args: str) -> str:
    """Run a benchmark script in a fresh interpreter; return the last line it prints."""
    out = subprocess.run([sys.executable, script, *args], check=True, capture_output=True, text=True)
    return out.stdout.strip().splitlines()[-1]


def timed(call: Callable[[], Any]) -> tuple[float, Any]:
    """(milliseconds, answer) of one call."""
    began = time.perf_counter()
    answer = call()
    return (time.perf_counter() - began) * 1000, answer
