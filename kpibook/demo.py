"""``kpibook demo``: the whole cycle on a built-in example, every step left on disk."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from kpibook.examples import ENTRIES_FILE, PLAN_FILE, example_dir
from kpibook.forms import generate_forms
from kpibook.forms.fill import write_filled_forms
from kpibook.master import write_master
from kpibook.merge import MergeReport, merge
from kpibook.plan import Plan
from kpibook.plantext import load_entries_yaml
from kpibook.sources import load_plan


@dataclass(frozen=True)
class DemoResult:
    plan: Plan
    forms: Path
    returns: Path
    master: Path
    report: MergeReport


def run_demo(example: str, outdir: Path) -> DemoResult:
    folder = example_dir(example)
    plan = load_plan(folder / PLAN_FILE)  # with the template it names, if any
    entries = load_entries_yaml(folder / ENTRIES_FILE, plan)
    forms_dir, returns_dir = outdir / "1-forms", outdir / "2-returns"
    generate_forms(plan, forms_dir)
    returned = write_filled_forms(plan, entries, returns_dir)
    report, merged = merge(plan, [f.path for f in returned])
    master = outdir / f"3-master_{plan.id}.xlsx"
    write_master(plan, report, merged, master)
    return DemoResult(plan, forms_dir, returns_dir, master, report)
