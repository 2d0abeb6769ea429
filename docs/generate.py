"""Regenerate the parts of the docs that the code already knows.

    python docs/generate.py          # rewrite the generated blocks
    python docs/generate.py --check  # exit 1 if any block is stale (the tests do this)

A generated block sits between ``<!-- generated:NAME -->`` and ``<!-- /generated -->``
in a Markdown file; the prose around it is written by hand.
"""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Callable
from pathlib import Path

import click

from kpibook.cli import main as cli_main
from kpibook.findings import CATALOGUE
from kpibook.grading import REASONS
from kpibook.opendata_tables import TABLES
from kpibook.planbook.layout import DATA_SHEETS, SETTINGS

DOCS = Path(__file__).resolve().parent
BLOCK = re.compile(
    r"(<!-- generated:(?P<name>[\w-]+) -->\n)(?P<body>.*?)(<!-- /generated -->)", re.S
)


def cli_reference() -> str:
    out: list[str] = []

    def walk(cmd: click.Command, path: list[str]) -> None:
        # A fixed width, so the page does not depend on the terminal it is generated in.
        ctx = click.Context(
            cmd,
            info_name=" ".join(path),
            terminal_width=80,
            max_content_width=80,
            help_option_names=["-h", "--help"],
        )
        out.append(f"### `{' '.join(path)}`\n\n```text\n{cmd.get_help(ctx)}\n```\n")
        if isinstance(cmd, click.Group):
            for name in cmd.list_commands(ctx):
                sub = cmd.get_command(ctx, name)
                assert sub is not None
                walk(sub, [*path, name])

    walk(cli_main, ["kpibook"])
    return "\n".join(out)


def workbook_sheets() -> str:
    out: list[str] = []
    for sheet in DATA_SHEETS:
        optional = "" if sheet.required else " (optional sheet)"
        out.append(f"#### 「{sheet.name}」{optional}\n\n{sheet.help}\n")
        out.append("| column | required | what to write |\n|---|---|---|")
        for c in sheet.columns:
            out.append(f"| {c.header} | {'yes' if c.required else ''} | {c.help} |")
        out.append("")
    out.append("#### Settings (rows of 「計画」)\n")
    out.append("| 項目 | plan field | what to write |\n|---|---|---|")
    for s in SETTINGS:
        out.append(f"| {s.label} | `{'.'.join(s.path)}` | {s.help} |")
    return "\n".join(out) + "\n"


def not_gradable_reasons() -> str:
    rows = ["| code | 日本語 | English |", "|---|---|---|"]
    rows += [f"| `{code.value}` | {why.ja} | {why.en} |" for code, why in REASONS.items()]
    return "\n".join(rows) + "\n"


def findings_catalogue() -> str:
    rows = [
        "| code | severity | what | 日本語 (to the department) | English |",
        "|---|---|---|---|---|",
    ]
    for kind in CATALOGUE.values():
        ja = kind.message.ja.replace("|", "\\|")
        en = kind.message.en.replace("|", "\\|")
        rows.append(f"| `{kind.code}` | {kind.severity.value} | {kind.title} | {ja} | {en} |")
    return "\n".join(rows) + "\n"


def export_tables() -> str:
    out = []
    for table in TABLES:
        key = ", ".join(table.primary_key)
        out.append(f"### `{table.name}` — {table.title}\n\n{table.description} Key: {key}.\n")
        out.append("| column | type | 日本語 | meaning |\n|---|---|---|---|")
        for c in table.columns:
            out.append(f"| `{c.name}` | {c.type} | {c.title} | {c.description} |")
        out.append("")
    return "\n".join(out)


GENERATORS: dict[str, Callable[[], str]] = {
    "export-tables": export_tables,
    "findings-catalogue": findings_catalogue,
    "cli-reference": cli_reference,
    "workbook-sheets": workbook_sheets,
    "not-gradable-reasons": not_gradable_reasons,
}


def regenerate(text: str) -> str:
    def replace(m: re.Match[str]) -> str:
        return m.group(1) + GENERATORS[m.group("name")]() + m.group(4)

    return BLOCK.sub(replace, text)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="regenerate the generated blocks of docs/")
    parser.add_argument("--check", action="store_true")
    args = parser.parse_args(argv)
    stale = []
    for path in sorted([*DOCS.glob("*.md"), DOCS.parent / "README.md"]):
        text = path.read_text(encoding="utf-8")
        new = regenerate(text)
        if new != text:
            stale.append(path)
            if not args.check:
                path.write_text(new, encoding="utf-8")
    for path in stale:
        verb = "stale" if args.check else "updated"
        print(f"{verb}: {path.relative_to(DOCS.parent)}", file=sys.stderr)
    return 1 if stale and args.check else 0


if __name__ == "__main__":
    sys.exit(main())
