"""Shared by the benchmarks: the machine, library versions and thread settings, printed as a header."""

from __future__ import annotations

import os
import platform
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _version(name: str) -> str:
    try:
        module = __import__(name)
    except Exception:
        return "not installed"
    return getattr(module, "__version__", "?")


def blas_threads() -> list[str]:
    """BLAS/OpenMP libraries loaded and their thread counts (threadpoolctl when installed)."""
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        return ["threadpoolctl not installed: BLAS thread count unknown (see the environment variables)"]
    return [
        f"{i.get('internal_api')} {i.get('version')} ({i.get('threading_layer', '-')}): {i.get('num_threads')} threads"
        for i in threadpool_info()
    ]


def header(title: str, libraries: tuple[str, ...] = ("numpy", "array_api_compat", "torch")) -> str:
    try:
        usable = len(os.sched_getaffinity(0))
    except AttributeError:
        usable = os.cpu_count()
    lines = [
        f"# {title}",
        f"date        {time.strftime('%Y-%m-%d %H:%M:%S %Z')}",
        f"machine     {platform.platform()}; {_cpu_model()}; {os.cpu_count()} logical CPUs ({usable} usable)",
        f"load        {' '.join(f'{v:.2f}' for v in os.getloadavg())} (1, 5, 15 min averages, before the run)",
        f"python      {sys.version.split()[0]}",
        "libraries   " + ", ".join(f"{name} {_version(name)}" for name in libraries),
        "threads     "
        + (
            ", ".join(
                f"{v}={os.environ[v]}"
                for v in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")
                if v in os.environ
            )
            or "no OMP_/OPENBLAS_/MKL_NUM_THREADS set"
        ),
    ]
    lines += [f"            {line}" for line in blas_threads()]
    if "torch" in libraries:
        try:
            import torch

            lines.append(
                f"            torch: {torch.get_num_threads()} intra-op threads, "
                f"{torch.get_num_interop_threads()} inter-op"
            )
        except ImportError:
            pass
    return "\n".join(lines)


def timeit(fn: Callable[[], object], repeat: int = 7, min_seconds: float = 0.05) -> tuple[float, float]:
    """(best, median) seconds per call: one warm-up, then ``repeat`` rounds of enough calls to last min_seconds."""
    fn()
    start = time.perf_counter()
    fn()
    once = max(time.perf_counter() - start, 1e-7)
    number = max(1, int(min_seconds / once))
    rounds = []
    for _ in range(repeat):
        start = time.perf_counter()
        for _ in range(number):
            fn()
        rounds.append((time.perf_counter() - start) / number)
    return min(rounds), statistics.median(rounds)


def spread(values: list[float], scale: float = 1.0, unit: str = "s", digits: int = 3) -> str:
    """``values`` (times ``scale``) as their median and range: ``1.234 s [1.100–1.400]``."""
    v = [x * scale for x in values]
    return f"{statistics.median(v):8.{digits}f} {unit} [{min(v):.{digits}f}–{max(v):.{digits}f}]"


def ms(seconds: float) -> str:
    return f"{seconds * 1e3:9.3f} ms" if seconds < 10 else f"{seconds:9.1f} s "


def run_teed(run: Callable[[], None], out: str | None) -> int:
    """``run()``, its printed output also written to ``out`` (the committed result) when given."""
    import io
    from contextlib import redirect_stdout

    buffer = io.StringIO()

    class Tee(io.TextIOBase):
        def write(self, s):
            sys.__stdout__.write(s)
            sys.__stdout__.flush()
            buffer.write(s)
            return len(s)

    with redirect_stdout(Tee()):
        run()
    if out:
        with open(out, "w", encoding="utf-8") as f:
            f.write(buffer.getvalue())
    return 0
