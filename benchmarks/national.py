"""National-scale benchmark: generate, check and merge for every municipality, against floors.

    python benchmarks/national.py                      # 1,741 departments, 3 runs
    python benchmarks/national.py --departments 100 --runs 1

Builds a synthetic plan (``synthetic.py``: each department fills 20 projects × 3
indicators), then for each stage measures wall time and peak memory, and the same work
done by the fastest tools that do only the bare minimum, measured in the same run:

- generate: ``kpibook generate`` (all cores) against bare xlsxwriter writing the same
  cells (values only, one core), with workers forked (Linux) and spawned (Windows, macOS);
- check: ``kpibook check`` (all cores) against python-calamine reading every value of the
  same returns (one core), forked and spawned;
- merge: ``kpibook merge`` (check + master) against the calamine read plus bare
  xlsxwriter writing the master's cells;
- ``kpibook --help``, as a user starts it;
- loading the plan from its text form as YAML and as JSON, and from its workbook; and
  what a spawned worker's start costs: the context pickled once, unpickled in each
  worker, against each worker loading the plan from its JSON file.

Every stage runs in a fresh child process, so that its peak memory (``ru_maxrss``) is its
own; workers are reported separately.  Times are medians of ``--runs`` runs.  Prints a
Markdown table for docs/performance.md.  python-calamine is needed for the floor reads
(``pip install python-calamine``); it is not a kpibook dependency.  ``--only`` runs some
stages (``--only load_json,check_spawn``), for a full-scale look at one of them.

The ratio is wall time against the floors' wall time.  On a machine shared with other
work, parallel stages stretch more than the one-core floors, so the table also gives a
CPU ratio: the stage's CPU time (workers included) spread over every core, against the
floors' CPU time -- what a quiet machine would show if the workers kept every core busy
(a lower bound where part of a stage runs on one core, as writing the master does).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))


def _cpu() -> float:
    me = resource.getrusage(resource.RUSAGE_SELF)
    return me.ru_utime + me.ru_stime


def _rss(cpu_since: float = 0.0) -> dict[str, float]:
    """Peak memory of this process and of its largest worker, and the CPU time both
    spent since ``cpu_since`` (on a busy machine wall time stretches, CPU time less)."""
    me = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = me.ru_utime + me.ru_stime - cpu_since + kids.ru_utime + kids.ru_stime
    return {
        "peak_mib": round(me.ru_maxrss / 1024, 1),
        "worker_peak_mib": round(kids.ru_maxrss / 1024, 1),
        "cpu_s": round(cpu, 2),
    }


# -- stages, each run in a child process -----------------------------------------------


def _load(work: Path) -> Any:
    import pickle

    with open(work / "plan.pickle", "rb") as f:
        return pickle.load(f)


def stage_setup(work: Path, departments: int) -> dict[str, Any]:
    import pickle

    from synthetic import synthetic_entries, synthetic_plan

    from kpibook.forms.fill import write_filled_forms
    from kpibook.planbook import write_plan_workbook
    from kpibook.plantext import save_json, save_yaml

    started = time.perf_counter()
    plan = synthetic_plan(departments)
    entries = synthetic_entries(plan)
    built = time.perf_counter() - started
    save_yaml(plan, work / "plan.yaml")
    save_json(plan, work / "plan.json")
    write_plan_workbook(plan, work / "plan.xlsx")
    with open(work / "plan.pickle", "wb") as f:
        pickle.dump((plan, entries), f)
    write_filled_forms(plan, entries, work / "returns")
    from kpibook.contract.stamp import FORM_VERSION

    return {
        "departments": departments,
        "form_version": FORM_VERSION,
        "build_s": built,
        "plan_mib": {
            s: round((work / f"plan.{s}").stat().st_size / 2**20, 1)
            for s in ("yaml", "json", "xlsx")
        },
        "projects": len(plan.projects),
        "indicators": sum(len(p.indicators) for p in plan.projects),
        "returns": len(list((work / "returns").glob("*.xlsx"))),
        "return_kib": round(
            statistics.median(p.stat().st_size for p in (work / "returns").glob("*.xlsx")) / 1024,
            1,
        ),
    }


def _start_method(method: str) -> None:
    from kpibook.parallel import START_METHOD_ENV

    os.environ[START_METHOD_ENV] = method


def stage_generate(work: Path, method: str = "fork") -> dict[str, Any]:
    from kpibook.forms import generate_forms

    _start_method(method)
    plan, _ = _load(work)
    out = work / "forms"
    shutil.rmtree(out, ignore_errors=True)
    started, cpu0 = time.perf_counter(), _cpu()
    generate_forms(plan, out)
    return {"seconds": time.perf_counter() - started, **_rss(cpu0)}


def stage_load(work: Path, suffix: str) -> dict[str, Any]:
    from kpibook.sources import load_plan

    started, cpu0 = time.perf_counter(), _cpu()
    load_plan(work / f"plan.{suffix}")
    return {"seconds": time.perf_counter() - started, **_rss(cpu0)}


def stage_context(work: Path) -> dict[str, Any]:
    """What a spawned worker's context costs: pickled once here, unpickled in a worker
    (as parallel.py does), against a worker loading the plan from its JSON file."""
    import pickle

    from kpibook.collector import paused
    from kpibook.contract.fingerprint import Fingerprinter
    from kpibook.sources import load_plan
    from kpibook.template import load_template

    plan, _ = _load(work)
    context = Fingerprinter(plan, load_template(plan.layout))
    with paused():
        started = time.perf_counter()
        blob = pickle.dumps(context, protocol=pickle.HIGHEST_PROTOCOL)
        pickled = time.perf_counter() - started
        started = time.perf_counter()
        pickle.loads(blob)
        unpickled = time.perf_counter() - started
    started = time.perf_counter()
    load_plan(work / "plan.json")
    return {
        "seconds": pickled + unpickled,
        "pickle_s": pickled,
        "unpickle_s": unpickled,
        "pickle_mib": round(len(blob) / 2**20, 1),
        "json_load_s": time.perf_counter() - started,
        **_rss(),
    }


def _values(path: Path) -> list[tuple[str, list[list[Any]]]]:
    """Every sheet's values, read by python-calamine (not timed)."""
    from python_calamine import CalamineWorkbook

    wb = CalamineWorkbook.from_path(str(path))
    return [(name, wb.get_sheet_by_name(name).to_python()) for name in wb.sheet_names]


def _write_values(
    target: Path, sheets: list[tuple[str, list[list[Any]]]], options: dict[str, Any]
) -> int:
    """Bare xlsxwriter writing the non-empty values; the number of cells written."""
    import xlsxwriter

    book = xlsxwriter.Workbook(str(target), options)
    cells = 0
    for name, rows in sheets:
        ws = book.add_worksheet(name)
        for r, row in enumerate(rows):
            for c, v in enumerate(row):
                if v != "":
                    ws.write(r, c, v)
                    cells += 1
    book.close()
    return cells


def stage_generate_floor(work: Path) -> dict[str, Any]:
    """Bare xlsxwriter writing each form's cells (values only), one core."""
    out = work / "floor-forms"
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir()
    spent = cpu_spent = 0.0
    cells = 0
    for n, path in enumerate(sorted((work / "forms").glob("*.xlsx"))):
        sheets = _values(path)
        started, cpu0 = time.perf_counter(), _cpu()
        cells += _write_values(out / f"{n}.xlsx", sheets, {})
        spent += time.perf_counter() - started
        cpu_spent += _cpu() - cpu0
    return {"seconds": spent, "cells": cells, **_rss(), "cpu_s": round(cpu_spent, 2)}


def stage_check(work: Path, method: str = "fork") -> dict[str, Any]:
    from kpibook.returns.check import check_returns

    _start_method(method)
    plan, _ = _load(work)
    paths = sorted((work / "returns").glob("*.xlsx"))
    started, cpu0 = time.perf_counter(), _cpu()
    report = check_returns(plan, paths)
    seconds = time.perf_counter() - started
    assert report.ok, "the synthetic returns must be clean"
    return {"seconds": seconds, **_rss(cpu0)}


def stage_fresh(work: Path) -> dict[str, Any]:
    """Whether this kpibook checks the work folder's first return clean: a folder built
    by another version of the form contract (another fingerprint, other names) is not
    reused."""
    from kpibook.returns.check import check_return
    from kpibook.template import load_template

    plan, _ = _load(work)
    first = min((work / "returns").glob("*.xlsx"), default=None)
    ok = first is not None and check_return(plan, first, load_template(plan.layout)).ok
    return {"seconds": 0.0, "fresh": ok}


def stage_read_floor(work: Path) -> dict[str, Any]:
    """python-calamine reading every value of every sheet of every return, one core."""
    from python_calamine import CalamineWorkbook

    paths = sorted((work / "returns").glob("*.xlsx"))
    started, cpu0 = time.perf_counter(), _cpu()
    for path in paths:
        wb = CalamineWorkbook.from_path(str(path))
        for name in wb.sheet_names:
            wb.get_sheet_by_name(name).to_python()
    return {"seconds": time.perf_counter() - started, **_rss(cpu0)}


def stage_merge(work: Path) -> dict[str, Any]:
    from kpibook.master import write_master
    from kpibook.merge import merge
    from kpibook.sources import load_plan

    # the plan loaded from its JSON as `kpibook merge -p plan.json` loads it: what the
    # parser leaves behind is part of a user's merge (a pickle leaves nothing behind)
    plan = load_plan(work / "plan.json")
    paths = sorted((work / "returns").glob("*.xlsx"))
    started, cpu0 = time.perf_counter(), _cpu()
    report, entries = merge(plan, paths)
    checked = time.perf_counter() - started
    printed = write_master(plan, report, entries, work / "master.xlsx")
    return {
        "seconds": time.perf_counter() - started,
        "check_seconds": checked,
        "report_sheet": printed,
        **_rss(cpu0),
    }


def stage_master_floor(work: Path) -> dict[str, Any]:
    """Bare xlsxwriter writing the master's cells (values only, constant memory)."""
    sheets = _values(work / "master.xlsx")
    started, cpu0 = time.perf_counter(), _cpu()
    cells = _write_values(work / "floor-master.xlsx", sheets, {"constant_memory": True})
    return {"seconds": time.perf_counter() - started, "cells": cells, **_rss(cpu0)}


def stage_help(work: Path) -> dict[str, Any]:
    exe = Path(sys.executable).with_name("kpibook")
    times = []
    for _ in range(7):
        started = time.perf_counter()
        subprocess.run([str(exe), "--help"], check=True, capture_output=True)
        times.append(time.perf_counter() - started)
    return {"seconds": statistics.median(times), **_rss()}


def stage_examples(work: Path) -> dict[str, Any]:
    from kpibook.demo import run_demo
    from kpibook.examples import example_names

    out: dict[str, Any] = {}
    for name in example_names():
        started = time.perf_counter()
        run_demo(name, work / f"demo-{name}")
        out[name] = time.perf_counter() - started
    return {"seconds": sum(out.values()), "each": out, **_rss()}


STAGES: dict[str, Callable[[Path], dict[str, Any]]] = {
    "load_yaml": lambda work: stage_load(work, "yaml"),
    "load_json": lambda work: stage_load(work, "json"),
    "load_xlsx": lambda work: stage_load(work, "xlsx"),
    "context": stage_context,
    "generate": stage_generate,
    "generate_spawn": lambda work: stage_generate(work, "spawn"),
    "generate_floor": stage_generate_floor,
    "check": stage_check,
    "check_spawn": lambda work: stage_check(work, "spawn"),
    "read_floor": stage_read_floor,
    "merge": stage_merge,
    "master_floor": stage_master_floor,
    "help": stage_help,
    "examples": stage_examples,
}
CHILD_ONLY = {"fresh": stage_fresh}
"""Stages the parent runs for itself, never timed."""


# -- the parent -------------------------------------------------------------------------


def child(stage: str, work: Path, *extra: str) -> dict[str, Any]:
    done = subprocess.run(
        [sys.executable, __file__, "--stage", stage, "--workdir", str(work), *extra],
        check=True,
        capture_output=True,
        text=True,
    )
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    return (
        f"{cpu}, {os.cpu_count()} cores, {mem:.0f} GiB; Python {platform.python_version()}, "
        f"{platform.system()} {platform.release()}; load average {load} (a busy machine "
        "slows every figure, the floors too)"
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--departments", type=int, default=1741)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument(
        "--workdir",
        type=Path,
        help="Work here; a set built before for the same --departments is reused.",
    )
    ap.add_argument("--stage", choices=["setup", *STAGES, *CHILD_ONLY])
    ap.add_argument(
        "--only",
        type=lambda text: text.split(","),
        default=list(STAGES),
        help=f"Comma-separated stages to run (default: all): {', '.join(STAGES)}.",
    )
    ap.add_argument("--json", type=Path, help="Also write the raw results here.")
    args = ap.parse_args()
    if args.stage:
        work = args.workdir
        if args.stage == "setup":
            result = stage_setup(work, args.departments)
        else:
            result = {**STAGES, **CHILD_ONLY}[args.stage](work)
        print(json.dumps(result))
        return
    unknown = set(args.only) - set(STAGES)
    if unknown:
        ap.error(f"unknown stage(s): {', '.join(sorted(unknown))}")
    work = args.workdir or Path(tempfile.mkdtemp(prefix="kpibook-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    print(f"# {args.departments} departments in {work}\n# {machine()}", file=sys.stderr)
    saved = work / "setup.json"
    setup = json.loads(saved.read_text()) if saved.exists() else {}
    built = [work / f for f in ("plan.pickle", "plan.yaml", "plan.json", "plan.xlsx")]
    from kpibook.contract.stamp import FORM_VERSION

    stale = setup.get("form_version") != FORM_VERSION  # returns of another form version
    if not stale and setup and all(p.exists() for p in built):
        stale = not child("fresh", work)["fresh"]  # same version, another contract
    if setup.get("departments") != args.departments or stale or not all(p.exists() for p in built):
        setup = child("setup", work, "--departments", str(args.departments))
        saved.write_text(json.dumps(setup))
    print(f"# setup: {json.dumps(setup)}", file=sys.stderr)
    stages = [s for s in STAGES if s in args.only]
    runs: dict[str, list[dict[str, Any]]] = {s: [] for s in stages}
    for n in range(args.runs):
        for stage in stages:
            runs[stage].append(child(stage, work))
            print(f"# run {n + 1} {stage}: {json.dumps(runs[stage][-1])}", file=sys.stderr)
    print(
        f"\n{args.departments:,} departments, {setup['projects']:,} projects, "
        f"{setup['indicators']:,} indicators, {setup['returns']:,} returns of "
        f"{setup['return_kib']} KiB; medians of {args.runs} run(s); {machine()}\n"
    )
    print(report(runs, setup))
    if args.json:
        args.json.write_text(json.dumps({"setup": setup, "runs": runs}, indent=1))


def report(runs: dict[str, list[dict[str, Any]]], setup: dict[str, Any]) -> str:
    """The Markdown tables of docs/performance.md, for the stages that were run."""
    med = {s: statistics.median(r["seconds"] for r in rs) for s, rs in runs.items()}
    cpu = {s: statistics.median(r.get("cpu_s", 0.0) for r in rs) for s, rs in runs.items()}
    peak = {s: max(r["peak_mib"] for r in rs) for s, rs in runs.items()}
    workers = {s: max(r["worker_peak_mib"] for r in rs) for s, rs in runs.items()}
    n = setup["returns"]
    floor_of = {
        "generate": ["generate_floor"],
        "check": ["read_floor"],
        "merge": ["read_floor", "master_floor"],
    }
    targets = {"generate": 1.3, "check": 3.0, "merge": 1.5}
    out = [
        "| stage | workers | wall | CPU | per file | peak (main / each worker) "
        "| floor | ratio | CPU ratio | target |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    cores = os.cpu_count() or 1
    for stage, method in [
        ("generate", "fork"),
        ("generate", "spawn"),
        ("check", "fork"),
        ("check", "spawn"),
        ("merge", "fork"),
    ]:
        name = stage if method == "fork" else f"{stage}_{method}"
        if name not in med:
            continue
        floors = floor_of[stage]
        floor = ratio = by_cpu = ""
        if all(f in med for f in floors):
            floor_s = sum(med[f] for f in floors)
            floor, ratio = f"{floor_s:.1f} s", f"{med[name] / floor_s:.2f}×"
            floor_cpu = sum(cpu[f] for f in floors)
            if floor_cpu > 0 and cpu[name] > 0:  # the stage's CPU spread over every core
                by_cpu = f"{cpu[name] / cores / floor_cpu:.2f}×"
        out.append(
            f"| {stage} | {method} | {med[name]:.1f} s | {cpu[name]:.1f} s | "
            f"{med[name] / n * 1000:.1f} ms | "
            f"{peak[name]:.0f} / {workers[name]:.0f} MiB | {floor} | {ratio} | {by_cpu} | "
            f"≤ {targets[stage]}× |"
        )
    if "read_floor" in med:
        out.append(
            f"| floor: calamine read | 1 | {med['read_floor']:.1f} s | {cpu['read_floor']:.2f} s | "
            f"{med['read_floor'] / n * 1000:.1f} ms | {peak['read_floor']:.0f} MiB | | | | |"
        )
    if "generate_floor" in med:
        out.append(
            f"| floor: xlsxwriter forms | 1 | {med['generate_floor']:.1f} s | "
            f"{cpu['generate_floor']:.2f} s | "
            f"{med['generate_floor'] / n * 1000:.1f} ms | | | | | |"
        )
    if "master_floor" in med:
        out.append(
            f"| floor: xlsxwriter master | 1 | {med['master_floor']:.1f} s | "
            f"{cpu['master_floor']:.2f} s | | "
            f"{peak['master_floor']:.0f} MiB | | | | |"
        )
    if "help" in med:
        out.append(f"| kpibook --help | | {med['help'] * 1000:.0f} ms | | | | | | | ≤ 150 ms |")
    if "examples" in med:
        each = runs["examples"][-1]["each"]
        out.append(
            f"| the examples (demo) | | {med['examples']:.1f} s | "
            + ", ".join(f"{k}: {v:.1f} s" for k, v in each.items())
            + " | | | | | | |"
        )
    loads = [(s, f"load_{s}") for s in ("yaml", "json", "xlsx") if f"load_{s}" in med]
    if loads:
        sizes = setup.get("plan_mib", {})
        target = {"yaml": "", "json": "≤ 5 s", "xlsx": "≤ 15 s"}
        out += [
            "",
            "| plan load | file | wall | CPU | peak | target |",
            "|---|---|---|---|---|---|",
        ]
        for suffix, name in loads:
            out.append(
                f"| plan.{suffix} | {sizes.get(suffix, '?')} MiB | {med[name]:.1f} s | "
                f"{cpu[name]:.1f} s | {peak[name]:.0f} MiB | {target[suffix]} |"
            )
    if "context" in runs:
        c = {k: statistics.median(r[k] for r in runs["context"]) for k in runs["context"][0]}
        out += [
            "",
            f"A spawned worker's context: pickled once {c['pickle_s']:.1f} s "
            f"({c['pickle_mib']:.0f} MiB), unpickled in each worker {c['unpickle_s']:.1f} s; "
            f"a worker loading the plan from plan.json instead: {c['json_load_s']:.1f} s.",
        ]
    return "\n".join(out)


if __name__ == "__main__":
    main()
