"""The ``kpibook`` command.  The only package that knows click; each command parses its
options, calls one library function and prints the result.  Errors a user can cause
(:class:`~kpibook.errors.KpibookError`) are printed as messages, never as tracebacks.

This module holds the group and what the commands share; the commands are in
``cycle.py`` (generate, check, merge: the year's cycle), ``publish.py`` (grades, demo,
export, report, rollover, examples: what is made of a plan and its master) and
``plans.py`` (``kpibook plan``: check, convert, new)."""

from __future__ import annotations

import contextlib
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

    from kpibook.parallel import Progress
    from kpibook.plan import Plan
    from kpibook.template import FormTemplate


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


def plan_and_template(plan_path: Path, template_path: Path | None) -> tuple[Plan, FormTemplate]:
    """The plan, and its template: the one given by --template, else the one the plan
    names, else the built-in one of its layout."""
    from kpibook import api

    plan = api.load_plan(plan_path)
    return plan, api.load_template(plan, template_path)


def return_files(paths: tuple[Path, ...]) -> list[Path]:
    """Files named, and the files in folders named; lock files are reported and skipped."""
    from kpibook import api

    files, skipped = api.return_files(paths)
    for note in skipped:
        click.echo(f"note: {note}", err=True)
    return files


CHECKING = Message(ja="点検中", en="checking")


@contextlib.contextmanager
def progress_line(label: Message) -> Iterator[Progress | None]:
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


def echo_json(report: BaseModel, lists: list[str]) -> None:
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


# The commands register themselves on ``main`` when their modules are imported.
from kpibook.cli import cycle, plans, publish  # noqa: E402

__all__ = ["cycle", "main", "plans", "publish"]
