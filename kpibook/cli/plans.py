"""``kpibook plan``: check a plan, convert it between its forms, start a new one."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from kpibook.cli import main
from kpibook.errors import KpibookError
from kpibook.message import Message

if TYPE_CHECKING:
    from kpibook.template import Terms


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
