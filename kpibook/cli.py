"""The ``kpibook`` command.  The only module that knows click; each command parses its
options, calls one library function and prints the result.  Errors a user can cause
(:class:`~kpibook.errors.KpibookError`) are printed as messages, never as tracebacks."""

from __future__ import annotations

import contextlib
import datetime as dt
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from kpibook import __version__
from kpibook.errors import KpibookError
from kpibook.message import Message

if TYPE_CHECKING:
    from pydantic import BaseModel

    from kpibook.entries import Entries
    from kpibook.parallel import Progress
    from kpibook.plan import Plan
    from kpibook.template import FormTemplate, Terms


class Group(click.Group):
    """Turns kpibook's errors into a message on stderr and the error's exit code."""

    def main(self, *args: Any, **kwargs: Any) -> Any:
        _tolerant_streams()
        return super().main(*args, **kwargs)

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except KpibookError as exc:
            click.echo(f"Error: {exc}", err=True)
            ctx.exit(exc.exit_code)


def _tolerant_streams() -> None:
    """A Windows console or a redirected output is often cp932, which has no 𠮷, ①'s
    neighbours or an em dash: such a character prints as an escape (``\\U00020bb7``)
    instead of ending the run with UnicodeEncodeError."""
    import codecs
    import io

    for stream in (sys.stdout, sys.stderr):
        if not isinstance(stream, io.TextIOWrapper):
            continue
        try:
            utf = codecs.lookup(stream.encoding).name.startswith("utf")
        except LookupError:
            utf = False
        if not utf:
            stream.reconfigure(errors="backslashreplace")


plan_option = click.option(
    "-p",
    "--plan",
    "plan_path",
    required=True,
    type=click.Path(path_type=Path, dir_okay=False),
    help="The plan the returns answer (.yaml, .json or .xlsx).",
)
returns_argument = click.argument(
    "returns", nargs=-1, required=True, type=click.Path(path_type=Path, exists=True)
)
jobs_option = click.option(
    "-j",
    "--jobs",
    type=click.IntRange(min=1),
    help="Worker processes (default: every core).",
)
template_option = click.option(
    "--template",
    "template_path",
    type=click.Path(path_type=Path, dir_okay=False, exists=True),
    help="The form template (.yaml) to use instead of the one the plan names (or, when it "
    "names none, the built-in one of its layout).",
)


@click.group(cls=Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="kpibook")
def main() -> None:
    """kpibook: 計画の進捗状況調査（各課の記入様式の作成・点検・集約）.

    Plans are kept as text (.yaml, or .json for large plans) or as a plan workbook (.xlsx);
    all hold the same.
    """


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
        _echo_json(report, ["projects"])
    else:
        click.echo(grade_table(report, plan_template(loaded).terms))


@main.command()
@click.argument("plan", type=click.Path(path_type=Path, dir_okay=False))
@click.option(
    "-o",
    "--outdir",
    required=True,
    type=click.Path(path_type=Path, file_okay=False),
    help="Folder to write the forms into (created if missing).",
)
@click.option(
    "--department",
    "departments",
    multiple=True,
    help="Only this department's form (repeatable). Default: every department with "
    "something to fill.",
)
@click.option("--password", help="Protect the sheets with this password (default: none).")
@click.option(
    "--template",
    "template_path",
    type=click.Path(path_type=Path, dir_okay=False, exists=True),
    help="A form template (.yaml) to use instead of the one the plan names (or, when it "
    "names none, the built-in one of its layout). Better: name it in the plan (template:), "
    "so that check and merge use it too.",
)
@click.option(
    "--timestamp",
    type=click.DateTime(formats=["%Y-%m-%d", "%Y-%m-%dT%H:%M:%S"]),
    help="Creation time written into the files (default: fixed, so the same plan always "
    "gives the same bytes).",
)
@jobs_option
def generate(
    plan: Path,
    outdir: Path,
    departments: tuple[str, ...],
    password: str | None,
    template_path: Path | None,
    timestamp: dt.datetime | None,
    jobs: int | None,
) -> None:
    """Write one input workbook (.xlsx) per department from PLAN.

    Each form mirrors the plan's official layout, with everything the coordinator owns
    locked and prefilled, and a named, validated cell for every input.
    """
    from kpibook import api

    loaded, template = _plan_and_template(plan, template_path)
    with _progress(Message(ja="様式を作成中", en="writing forms")) as progress:
        forms = api.generate_forms(
            loaded,
            outdir=outdir,
            departments=departments,
            password=password,
            created=timestamp,
            template=template,
            jobs=jobs,
            progress=progress,
        )
    for form in forms:
        click.echo(f"wrote {form.path}  ({form.department}, {len(form.inputs)} 記入欄)")
    click.echo(f"{len(forms)} form(s) in {outdir}")


def _plan_and_template(plan_path: Path, template_path: Path | None) -> tuple[Plan, FormTemplate]:
    """The plan, and its template: the one given by --template, else the one the plan
    names, else the built-in one of its layout."""
    from kpibook import api

    plan = api.load_plan(plan_path)
    return plan, api.load_template(plan, template_path)


def _return_files(paths: tuple[Path, ...]) -> list[Path]:
    """Files named, and the files in folders named; lock files are reported and skipped."""
    from kpibook import api

    files, skipped = api.return_files(paths)
    for note in skipped:
        click.echo(f"note: {note}", err=True)
    return files


CHECKING = Message(ja="点検中", en="checking")


@contextlib.contextmanager
def _progress(label: Message) -> Iterator[Progress | None]:
    """A progress line (done, rate, time left) on a terminal for long runs; nothing when
    stderr is not a terminal.  A line left unfinished (an error, Ctrl-C) is ended."""
    if not sys.stderr.isatty():
        yield None
        return
    from kpibook.progress import ProgressLine

    line = ProgressLine(str(label), sys.stderr)
    try:
        yield line
    finally:
        line.close()


@main.command()
@plan_option
@returns_argument
@click.option("--json", "as_json", is_flag=True, help="Print the check report as JSON.")
@click.option(
    "--annotate",
    type=click.Path(path_type=Path, file_okay=False),
    help="Write, for each return with findings, a copy for the department with every "
    "problem marked (the returns themselves are never changed).",
)
@template_option
@jobs_option
def check(
    plan_path: Path,
    returns: tuple[Path, ...],
    as_json: bool,
    annotate: Path | None,
    template_path: Path | None,
    jobs: int | None,
) -> None:
    """Check returned forms (files or folders) and name every problem by file, sheet and cell.

    Exit status 0 when no return has an error (warnings allowed), 1 otherwise.
    """
    from kpibook import api
    from kpibook.render import check_text

    plan, template = _plan_and_template(plan_path, template_path)
    files = _return_files(returns)
    with _progress(CHECKING) as progress:
        report = api.check_returns(
            plan, returns=files, template=template, jobs=jobs, progress=progress
        )
    if as_json:
        _echo_json(report, ["returns"])
    else:
        click.echo(check_text(report))
    if annotate is not None:
        from kpibook.forms.annotate import annotate_returns

        for path in annotate_returns(plan, report, annotate, template):
            click.echo(f"wrote {path}", err=as_json)
    if not report.ok:
        raise SystemExit(1)


@main.command("merge")
@plan_option
@click.option(
    "-o",
    "--output",
    required=True,
    type=click.Path(path_type=Path, dir_okay=False),
    help="The master workbook to write (.xlsx); replaced only when complete.",
)
@returns_argument
@click.option("--json", "as_json", is_flag=True, help="Print the merge report as JSON.")
@click.option("--strict", is_flag=True, help="Write nothing if any return has an error.")
@click.option(
    "--break-lock",
    is_flag=True,
    help="Remove a lock left by a merge that crashed (never while another merge runs).",
)
@click.option(
    "--use",
    "use",
    multiple=True,
    type=click.Path(path_type=Path, dir_okay=False),
    help="When a department sent several returns, the one to merge (repeatable).",
)
@click.option(
    "--report/--no-report",
    "printable",
    default=None,
    help="Write the printable 報告書 sheet, or leave it out (default: written unless the "
    "plan has more than 2,000 projects).",
)
@click.option(
    "--allow-empty",
    is_flag=True,
    help="Replace an existing master even when no return was found (every department "
    "then shows as missing).",
)
@template_option
@jobs_option
def merge_command(
    plan_path: Path,
    output: Path,
    returns: tuple[Path, ...],
    as_json: bool,
    strict: bool,
    use: tuple[Path, ...],
    template_path: Path | None,
    break_lock: bool,
    printable: bool | None,
    allow_empty: bool,
    jobs: int | None,
) -> None:
    """Check the returns and build the master workbook (概要, 一覧, 報告書, 提出状況).

    Rejected returns (with errors), conflicts (two returns of one department) and
    departments that sent nothing are listed; the others are merged. Exit status 0 when
    the master was written, 1 when --strict refused to write it.
    """
    from kpibook.lock import exclusive
    from kpibook.master import master_in_use

    files = _return_files(returns)
    inputs = {p.resolve() for p in [plan_path, *files]}
    if output.resolve() in inputs:
        raise click.UsageError(f"{output} is one of the inputs; choose another output file")
    if not files and output.exists() and not allow_empty:
        empty = Message(
            ja=f"回答が1件も見つからないため、{output} は置き換えません",
            en=f"no return was found in {' '.join(map(str, returns))}; {output} is left as it "
            "is (--allow-empty writes a master with every department missing)",
        )
        raise click.UsageError(str(empty))
    opened = master_in_use(output)
    if opened is not None:
        raise KpibookError(
            Message(
                ja=f"{opened}で開かれています。閉じてから実行してください（開いていないのに"
                f"表示される場合は、異常終了で残った {opened} のロックファイルを削除してください）",
                en=f"the master is open in {opened}; close it and run again (if it is not, "
                f"delete the lock file {opened} left beside it)",
            ),
            where=output,
        )
    with exclusive(output, break_lock):
        _merge_and_write(
            plan_path, template_path, files, list(use), output, as_json, strict, printable, jobs
        )


def _merge_and_write(
    plan_path: Path,
    template_path: Path | None,
    files: list[Path],
    use: list[Path],
    output: Path,
    as_json: bool,
    strict: bool,
    printable: bool | None,
    jobs: int | None,
) -> None:
    from kpibook import api
    from kpibook.master import REPORT
    from kpibook.render import merge_text

    plan, template = _plan_and_template(plan_path, template_path)
    with _progress(CHECKING) as progress:
        merged = api.merge_returns(
            plan, returns=files, use=use, template=template, jobs=jobs, progress=progress
        )
    report = merged.report
    if as_json:
        _echo_json(report, ["returns", "grades.projects"])
    else:
        click.echo(merge_text(report, template.terms))
    if strict and report.has_errors:
        refused = Message(
            ja="エラーのある回答があるため、集約ブックは作成しませんでした",
            en="a return has errors; the master was not written",
        )
        click.echo(f"--strict: {refused}", err=True)
        raise SystemExit(1)
    if not api.write_master(merged, path=output, printable=printable):
        left_out = Message(
            ja=f"事業数が多いため「{REPORT}」シートは省略しました",
            en=f"{len(plan.projects):,} projects: the printable {REPORT} sheet was left out "
            "(--report writes it)",
        )
        click.echo(f"note: {left_out}", err=True)
    click.echo(f"wrote {output}", err=as_json)


def _echo_json(report: BaseModel, lists: list[str]) -> None:
    """``report.model_dump_json(indent=2)``, printed as it is written, its long lists an
    item at a time (:mod:`kpibook.jsonpieces`): a national merge's report is hundreds of
    MB of text, which as one string would be held twice over beside everything else."""
    from kpibook.jsonpieces import json_pieces

    held: list[str] = []
    size = 0
    for piece in json_pieces(report, lists, indent=2):
        held.append(piece)
        size += len(piece)
        if size >= 1 << 20:
            click.echo("".join(held), nl=False)
            held, size = [], 0
    click.echo("".join(held))


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


@main.group()
def plan() -> None:
    """Check, convert and create plans."""


@plan.command("check")
@click.argument("path", type=click.Path(path_type=Path, dir_okay=False))
def plan_check(path: Path) -> None:
    """Load a plan and report every problem with its place (sheet and cell, or line)."""
    from kpibook.sources import load_plan
    from kpibook.template import plan_template

    loaded = load_plan(path)
    w = plan_template(loaded).terms  # the plan's own words
    placements = sum(len(p.placements) for p in loaded.projects)
    indicators = sum(len(p.indicators) for p in loaded.projects)
    click.echo(
        f"{path}: OK — {loaded.title}, {len(loaded.departments)} {w.department}, "
        f"{len(loaded.projects)} {w.project} ({placements - len(loaded.projects)} 再掲), "
        f"{indicators} {w.indicator}"
    )


@plan.command("convert")
@click.argument("source", type=click.Path(path_type=Path, dir_okay=False))
@click.argument("target", type=click.Path(path_type=Path, dir_okay=False))
def plan_convert(source: Path, target: Path) -> None:
    """Convert a plan between the text form (.yaml, or .json: much faster to load for a large
    plan) and the plan workbook (.xlsx)."""
    from kpibook.sources import load_plan, save_plan

    if target.exists() and target.resolve() == source.resolve():
        raise click.UsageError("TARGET must differ from SOURCE")
    save_plan(load_plan(source), target)
    click.echo(f"wrote {target}")


TERM_OPTIONS = (
    (
        "department",
        "--department-term",
        "記入する課の呼び方",
        "Who fills a form (担当課, 担当部・課, 所管課).",
    ),
    ("project", "--project-term", "事業の呼び方", "What a form reports on (事業, 取組, 施策)."),
    ("indicator", "--indicator-term", "指標の呼び方", "What is measured (指標, KPI)."),
    ("target", "--target-term", "目標値の呼び方", "A year's target (目標値, 期待値)."),
    ("actual", "--actual-term", "実績値の呼び方", "A year's figure (実績値, 実績)."),
)
"""The plan's words `plan new` takes: (term, option, prompt, help)."""


def _term_options(f: Any) -> Any:
    for name, flag, _, text in reversed(TERM_OPTIONS):
        f = click.option(flag, f"{name}_term", help=text)(f)
    return f


@plan.command("new")
@click.argument("target", type=click.Path(path_type=Path, dir_okay=False))
@click.option("--start", required=True, help="First fiscal year of the plan (R7, 2025, 令和7年度).")
@click.option("--end", required=True, help="Last fiscal year of the plan.")
@click.option(
    "--layout",
    type=click.Choice(["card", "matrix"]),
    help="card: one card per project (事業ごとの票); matrix: one row per indicator (一覧表).",
)
@click.option(
    "--scale",
    help="The grade scale: abc (A/B/C 80/50, 柏市), ab+bc (A/B+/B/C, 茨城県), sabcd, marks "
    "(◎/○/△/×), achieved (達成/概ね達成/未達成), or your own as "
    "'A:80:よい,B:50:ふつう,C:0:わるい' (grade:lowest rate %:meaning, best first).",
)
@click.option(
    "--years",
    type=click.Choice(["down", "across"]),
    help="card only: each indicator's years down (年度 in rows) or across (one column a "
    "year, as many prefectures' KPI cards print them).",
)
@_term_options
@click.option(
    "--ask/--no-ask",
    default=None,
    help="Ask for the layout, scale and words not given (default: when run on a terminal).",
)
@click.option("--force", is_flag=True, help="Overwrite TARGET (and its template) if they exist.")
def plan_new(
    target: Path,
    start: str,
    end: str,
    layout: str | None,
    scale: str | None,
    years: str | None,
    ask: bool | None,
    force: bool,
    **terms: str | None,
) -> None:
    """Write a blank plan workbook, with its instructions sheet (説明), to start a plan.

    Its layout, grade scale and words (担当課 or 担当部・課, 事業 or 取組, 目標値 or 期待値)
    are asked for on a terminal, or given as options. Words other than the built-in
    template's go into a template of its own beside the workbook (TARGET.template.yaml),
    which the workbook names, so that generate, check and merge all use it.
    """
    from kpibook.fiscal import FiscalYearError, parse_fiscal_year
    from kpibook.plan import Layout
    from kpibook.planbook import write_blank_plan_workbook
    from kpibook.planbook.starter import (
        DEFAULT_SCALE,
        SCALES,
        parse_scale,
        starter_template,
        template_file,
        write_starter_template,
    )

    if target.suffix.lower() != ".xlsx":
        raise click.UsageError("TARGET must be an .xlsx file")
    if target.exists() and not force:
        raise click.UsageError(f"{target} exists; use --force to overwrite it")
    try:
        first, last = parse_fiscal_year(start), parse_fiscal_year(end)
    except FiscalYearError as exc:
        raise click.BadParameter(str(exc.message)) from None
    if last < first:
        raise click.BadParameter("--end is before --start")
    if ask is None:
        ask = sys.stdin.isatty()
    defaulted: list[str] = []
    if layout is None:
        if ask:
            layout = click.prompt(
                str(
                    Message(
                        ja="様式（card: 事業ごとの票、matrix: 指標ごとの一覧表）",
                        en="layout (card: one card per project, matrix: one row per indicator)",
                    )
                ),
                type=click.Choice(["card", "matrix"]),
                default="card",
            )
        else:
            layout = "card"
            defaulted.append("--layout card")
    if years is None and layout == "card":
        if ask:
            years = click.prompt(
                str(
                    Message(
                        ja="年度の並び（down: 縦に、across: 横に）",
                        en="years (down: one row a year, across: one column a year)",
                    )
                ),
                type=click.Choice(["down", "across"]),
                default="down",
            )
        else:
            defaulted.append("--years down")
    if scale is None:
        if ask:
            click.echo(f"{Message(ja='評価区分', en='scales')}:")
            for preset in SCALES.values():
                click.echo(f"  {preset.name:<9} {preset.describe()}")
            scale = click.prompt(
                str(
                    Message(
                        ja="評価区分（上の名前、または A:80:よい,B:50:ふつう,C:0:わるい）",
                        en="scale (a name above, or grade:lowest rate:meaning, best first)",
                    )
                ),
                default=DEFAULT_SCALE,
                value_proc=_checked_scale,
            )
        else:
            scale = DEFAULT_SCALE
            defaulted.append(f"--scale {DEFAULT_SCALE} ({SCALES[DEFAULT_SCALE].describe()})")
    bands = parse_scale(scale)
    default_terms = _terms({}).words()
    words: dict[str, str] = {}
    for name, flag, asked, _ in TERM_OPTIONS:
        given = terms[f"{name}_term"]
        if given is None and ask:
            question = Message(ja=asked, en=flag[2:].replace("-", " "))
            given = str(click.prompt(str(question), default=default_terms[name]))
        if given is None:
            defaulted.append(f"{flag} {default_terms[name]}")
        words[name] = given or default_terms[name]
    plan_layout = Layout(layout)
    below_top = [grade for grade, _, _ in bands[1:]]
    text = starter_template(plan_layout, _terms(words), years or "down", below_top)
    template = template_file(target) if text is not None else None
    if template is not None and text is not None:
        if template.exists() and not force:
            raise click.UsageError(f"{template} exists; use --force to overwrite it")
        write_starter_template(template, plan_layout, text)
        click.echo(f"wrote {template}")
    write_blank_plan_workbook(
        target, first, last, plan_layout, bands, template.name if template else None
    )
    click.echo(f"wrote {target}")
    if defaulted:
        used = Message(ja="既定値を使いました", en="used the defaults")
        click.echo(f"note: {used}: {' '.join(defaulted)}", err=True)


def _checked_scale(text: str) -> str:
    """A scale typed at the prompt, asked again when it cannot be read."""
    from kpibook.planbook.starter import parse_scale

    try:
        parse_scale(text)
    except KpibookError as exc:
        raise click.BadParameter(str(exc.message)) from None
    return text.strip()


def _terms(words: dict[str, str]) -> Terms:
    """The plan's words as the template's terms; a word a label cannot hold is an
    option error, not a traceback."""
    from pydantic import ValidationError

    from kpibook.template import Terms

    try:
        return Terms(**words)
    except ValidationError as exc:
        bad = ", ".join(f"--{e['loc'][0]}-term" for e in exc.errors())
        raise click.BadParameter(f"{bad}: one line, no leading or trailing spaces") from None
