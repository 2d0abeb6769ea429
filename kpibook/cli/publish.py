"""What is made of a plan and its master: grades, the demo, open data, the printed
report, next year's plan, the built-in examples."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

from kpibook.cli import echo_json, main
from kpibook.message import Message

if TYPE_CHECKING:
    from kpibook.entries import Entries
    from kpibook.plan import Plan


@main.command()
@click.argument("plan", required=False, type=click.Path(path_type=Path, dir_okay=False))
@click.option(
    "--entries",
    "entries_path",
    type=click.Path(path_type=Path, dir_okay=False),
    help="The departments' entries for the report year (.yaml).",
)
@click.option("--example", help="Use a built-in example instead of PLAN (see `kpibook examples`).")
@click.option("--json", "as_json", is_flag=True, help="Print the grade report as JSON.")
def grades(
    plan: Path | None, entries_path: Path | None, example: str | None, as_json: bool
) -> None:
    """Grade every project: computed grade beside the department's own.

    Prints achievement rates, computed grades, self grades and where they disagree.
    """
    from kpibook.examples import ENTRIES_FILE, PLAN_FILE, example_dir
    from kpibook.grading import grade_report
    from kpibook.render import grade_table
    from kpibook.sources import load_entries, load_plan
    from kpibook.template import plan_template

    if (plan is None) == (example is None):
        raise click.UsageError("give either PLAN or --example NAME")
    if example is not None:
        folder = example_dir(example)
        plan = folder / PLAN_FILE
        entries_path = entries_path or folder / ENTRIES_FILE
    assert plan is not None
    loaded = load_plan(plan)
    entries = load_entries(entries_path, loaded) if entries_path else None
    report = grade_report(loaded, entries)
    if as_json:
        echo_json(report, ["projects"])
    else:
        click.echo(grade_table(report, plan_template(loaded).terms))


@main.command()
@click.argument("outdir", required=False, type=click.Path(path_type=Path, file_okay=False))
@click.option(
    "--example",
    default="kashiwa-lifelong-learning-r1",
    show_default=True,
    help="Which built-in example (see `kpibook examples`).",
)
def demo(outdir: Path | None, example: str) -> None:
    """Run the whole cycle on a built-in example, leaving every step in OUTDIR.

    Generates the departments' forms, fills them in as the departments did (the
    example's entries, as the official report published them), checks and merges the
    returns, and writes the master workbook.
    """
    from kpibook.demo import run_demo
    from kpibook.render import demo_text

    result = run_demo(example, outdir or Path(f"kpibook-demo-{example}"))
    click.echo(demo_text(result))


@main.command()
@click.argument("source", type=click.Path(path_type=Path, dir_okay=False, exists=True))
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["csv", "json"]),
    default="csv",
    show_default=True,
    help="CSV files with datapackage.json, or one JSON file.",
)
@click.option(
    "-o",
    "--output",
    required=True,
    type=click.Path(path_type=Path),
    help="Folder for CSV (created if missing), or the JSON file.",
)
@click.option(
    "--entries",
    "entries_path",
    type=click.Path(path_type=Path, dir_okay=False),
    help="With a plan as SOURCE: the departments' entries (.yaml).",
)
def export(source: Path, fmt: str, output: Path, entries_path: Path | None) -> None:
    """Export a master workbook (or a plan) as tidy open-data tables.

    Sections, projects, listings (再掲 included), departments, indicators, targets and
    actuals in long form, the departments' entries, and the grades; CSV is UTF-8 with BOM
    and described by a Data Package (datapackage.json).
    """
    from kpibook import api

    plan, entries = _plan_or_master(source, entries_path)
    for path in api.export_plan(
        plan, entries, output=output, format="json" if fmt == "json" else "csv"
    ):
        click.echo(f"wrote {path}")


@main.command()
@click.argument("master", type=click.Path(path_type=Path, dir_okay=False, exists=True))
@click.option(
    "-o",
    "--output",
    required=True,
    type=click.Path(path_type=Path, dir_okay=False),
    help="The PDF to write (replaced only when complete).",
)
@click.option(
    "--sheet",
    "sheets",
    multiple=True,
    help="A sheet to print (repeatable, printed in the workbook's order). Default: 報告書.",
)
def report(master: Path, output: Path, sheets: tuple[str, ...]) -> None:
    """Print the master's report (報告書) to a PDF ready to post, through LibreOffice.

    Page breaks, headings and the footer's page numbers are the master's own; the PDF
    carries the report's title and says it is Japanese. Needs LibreOffice (soffice).
    """
    from kpibook.master import REPORT
    from kpibook.pdf import print_master

    if output.suffix.lower() != ".pdf":
        raise click.UsageError("--output must be a .pdf file")
    print_master(master, output, list(sheets) or [REPORT])
    click.echo(f"wrote {output}")


@main.command()
@click.argument("master", type=click.Path(path_type=Path, dir_okay=False, exists=True))
@click.option("--to-year", required=True, help="The next report year (R2, 2020, 令和2年度).")
@click.option(
    "-o",
    "--output",
    required=True,
    type=click.Path(path_type=Path, dir_okay=False),
    help="Next year's plan (.yaml, .json or .xlsx).",
)
def rollover(master: Path, to_year: str, output: Path) -> None:
    """Start next year from this year's master: write next year's plan.

    This year's actuals become history, targets are kept, and what needs attention
    (actuals still 集計中, missing reports, indicators without a target) is listed.
    Then `kpibook generate` on the new plan gives next year's forms.
    """
    from kpibook.fiscal import FiscalYearError, parse_fiscal_year
    from kpibook.master.data import read_master
    from kpibook.rollover import rollover as roll
    from kpibook.sources import save_plan

    try:
        year = parse_fiscal_year(to_year)
    except FiscalYearError as exc:
        raise click.BadParameter(str(exc.message)) from None
    if output.exists() and output.resolve() == master.resolve():
        raise click.UsageError("the output must not be the master itself")
    plan, entries = read_master(master)
    new_plan, notes = roll(plan, entries, year)
    save_plan(new_plan, output)
    click.echo(f"wrote {output}")
    if notes:
        click.echo(f"{Message(ja='確認が必要な点', en='needs attention')} ({len(notes)}):")
        for note in notes:
            click.echo(f"  - {note}")


def _plan_or_master(source: Path, entries_path: Path | None) -> tuple[Plan, Entries | None]:
    """A master's plan and entries, or a plan with optional entries."""
    from kpibook.master.data import NotAMaster, read_master
    from kpibook.sources import load_entries, load_plan

    if source.suffix.lower() == ".xlsx" and entries_path is None:
        try:
            return read_master(source)
        except NotAMaster:
            pass  # a plan workbook
    plan = load_plan(source)
    return plan, load_entries(entries_path, plan) if entries_path else None


@main.command()
def examples() -> None:
    """List the built-in examples."""
    from kpibook.examples import example_names, examples_root

    root = examples_root()
    for name in example_names():
        click.echo(f"{name}\t{root / name}")
