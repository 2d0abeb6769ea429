"""The year's cycle: ``generate`` the forms, ``check`` the returns, ``merge`` them into
the master."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import click

from kpibook.cli import (
    CHECKING,
    echo_json,
    jobs_option,
    main,
    plan_and_template,
    plan_option,
    progress_line,
    return_files,
    returns_argument,
    template_option,
)
from kpibook.errors import KpibookError
from kpibook.message import Message


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

    loaded, template = plan_and_template(plan, template_path)
    with progress_line(Message(ja="様式を作成中", en="writing forms")) as progress:
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

    plan, template = plan_and_template(plan_path, template_path)
    files = return_files(returns)
    with progress_line(CHECKING) as progress:
        report = api.check_returns(
            plan, returns=files, template=template, jobs=jobs, progress=progress
        )
    if as_json:
        echo_json(report, ["returns"])
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

    files = return_files(returns)
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

    plan, template = plan_and_template(plan_path, template_path)
    with progress_line(CHECKING) as progress:
        merged = api.merge_returns(
            plan, returns=files, use=use, template=template, jobs=jobs, progress=progress
        )
    report = merged.report
    if as_json:
        echo_json(report, ["returns", "grades.projects"])
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
