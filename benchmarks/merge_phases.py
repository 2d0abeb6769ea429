"""A merge in phases: what the main process holds after each step, and why.

usage: python benchmarks/merge_phases.py WORKDIR [--trace [--top N] | --light]

WORKDIR holds ``plan.pickle`` (as ``national.py`` builds it) and ``returns/``; the master
is written there.  Each phase prints the resident memory, its peak so far and the CPU
time (workers included).  ``--trace`` also takes a tracemalloc snapshot at each phase
and prints what it added, by file and by line (slow: minutes at national scale, and the
resident figures then include tracemalloc's own); ``--light`` prints only the memory
allocated and its peak per phase.  The code measured is whichever kpibook is first on
``sys.path`` (``PYTHONPATH``): old and new can be run alternately.
"""

from __future__ import annotations

import gc
import pickle
import resource
import sys
import time
import tracemalloc
from pathlib import Path
from typing import Any

WORK = Path(sys.argv[1])
LIGHT = "--light" in sys.argv
TRACE = "--trace" in sys.argv or LIGHT
TOP = int(sys.argv[sys.argv.index("--top") + 1]) if "--top" in sys.argv else 25
FILTERS = [
    tracemalloc.Filter(False, tracemalloc.__file__),
    tracemalloc.Filter(False, "<frozen importlib._bootstrap>"),
    tracemalloc.Filter(False, "<frozen importlib._bootstrap_external>"),
]
STARTED = time.perf_counter()
_last: list[tracemalloc.Snapshot] = []


def _status() -> tuple[float, float]:
    """Resident memory and its peak, MiB (Linux)."""
    rss = hwm = 0.0
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                rss = int(line.split()[1]) / 1024
            elif line.startswith("VmHWM:"):
                hwm = int(line.split()[1]) / 1024
    return rss, hwm


def _cpu() -> float:
    me = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime


def phase(name: str) -> None:
    rss, hwm = _status()
    line = f"== {name}: rss {rss:,.0f} MiB, peak rss {hwm:,.0f} MiB, cpu {_cpu():.1f} s"
    if TRACE:
        now, peak = tracemalloc.get_traced_memory()
        line += f", allocated {now / 2**20:,.1f} MiB (peak since last {peak / 2**20:,.1f})"
    print(line, f"[{time.perf_counter() - STARTED:.0f} s]", flush=True)
    if not TRACE:
        return
    if not LIGHT:
        snap = tracemalloc.take_snapshot().filter_traces(FILTERS)
        if _last:
            for key in ("filename", "lineno"):
                for d in snap.compare_to(_last[0], key)[:TOP]:
                    if abs(d.size_diff) >= 2**19:
                        f = d.traceback[0]
                        at = f.filename if key == "filename" else f"{f.filename}:{f.lineno}"
                        print(f"   {d.size_diff / 2**20:+9.1f} MiB {d.count_diff:>+10,}  {at}")
                print("   --")
        _last[:] = [snap]
    tracemalloc.reset_peak()
    sys.stdout.flush()


def _hook(module: Any, name: str, before: str | None, after: str | None) -> None:
    real = getattr(module, name)

    def hooked(*args: Any, **kwargs: Any) -> Any:
        if before:
            phase(before)
        out = real(*args, **kwargs)
        if after:
            phase(after)
        return out

    setattr(module, name, hooked)


def main() -> None:
    if TRACE:
        tracemalloc.start(1)
        import kpibook.parallel as parallel

        forked = parallel._init_forked

        def untraced(context: Any) -> None:  # the workers are not measured
            tracemalloc.stop()
            forked(context)

        parallel._init_forked = untraced
    import kpibook
    import kpibook.master as master
    import kpibook.merge as merging

    print("kpibook from", Path(kpibook.__file__).parent)
    phase("start")
    with open(WORK / "plan.pickle", "rb") as f:
        gc.disable()
        plan = pickle.load(f)[0]
        gc.enable()
    phase("plan loaded")
    _hook(merging, "check_returns", None, "after the check")
    _hook(merging, "grade_report", "entries merged", "graded")
    for name in ("write_table", "write_status", "embed"):
        _hook(master, name, f"master: before {name}", None)
    report, entries = merging.merge(plan, sorted((WORK / "returns").glob("*.xlsx")))
    phase("merge returned")
    master.write_master(plan, report, entries, WORK / "master.xlsx")
    phase("master written")
    _, hwm = _status()
    print(f"RESULT peak_rss_mib={hwm:.0f} cpu_s={_cpu():.1f}")


if __name__ == "__main__":
    main()
