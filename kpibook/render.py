"""Plain-text renderings for the terminal (tables aligned for Japanese full-width text)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from kpibook.findings import Severity
from kpibook.fiscal import era_label
from kpibook.grading import REASONS, GradeReport, IndicatorGrade
from kpibook.grading.sections import section_basis
from kpibook.merge import STATUS_JA, MergeReport
from kpibook.message import Message
from kpibook.returns.check import CheckReport

if TYPE_CHECKING:
    from kpibook.demo import DemoResult
    from kpibook.template import Terms
from kpibook.textfit import text_width
from kpibook.values import Value

COMPUTED = Message(ja="計算した評価", en="computed")


def self_label(terms: Terms | None) -> Message:
    """The department's own grade, in the plan's word for the department."""
    return Message(ja=f"{terms.department if terms else '担当課'}の評価", en="self")


SUBMISSIONS = Message(ja="提出状況", en="submissions")


def clip(text: str, width: int) -> str:
    if text_width(text) <= width:
        return text
    out = ""
    for ch in text:
        if text_width(out + ch) > width - 1:
            break
        out += ch
    return out + "…"


def pad(text: str, width: int, right: bool = False) -> str:
    gap = " " * max(width - text_width(text), 0)
    return gap + text if right else text + gap


def table(headers: Sequence[str], rows: Sequence[Sequence[str]], right: set[int]) -> str:
    widths = [
        max([text_width(h), *(text_width(r[i]) for r in rows)]) for i, h in enumerate(headers)
    ]
    lines = [
        "  ".join(
            pad(h, w, i in right) for i, (h, w) in enumerate(zip(headers, widths, strict=True))
        )
    ]
    lines.append("  ".join("-" * w for w in widths))
    for r in rows:
        lines.append(
            "  ".join(pad(c, w, i in right) for i, (c, w) in enumerate(zip(r, widths, strict=True)))
        )
    return "\n".join(line.rstrip() for line in lines)


def grade_table(report: GradeReport, terms: Terms | None = None) -> str:
    """One line per indicator (the project's grade on its first line), then a summary."""
    ng = report.not_gradable_label
    rows: list[list[str]] = []
    for n, p in enumerate(report.projects, start=1):
        project_grade = p.grade or ng
        mark = "≠" if p.mismatch else ""
        first = [str(n), "、".join(p.sections), clip(p.name, 30), clip(p.department, 14)]
        lines: list[IndicatorGrade | None] = list(p.indicators) or [None]
        for k, ind in enumerate(lines):
            lead = first if k == 0 else ["", "", "", ""]
            grades = [project_grade, p.self_grade or "", mark] if k == 0 else ["", "", ""]
            if ind is None:
                rows.append([*lead, "（指標なし）", "", "", "", "", *grades])
                continue
            target = ""
            if ind.target is not None:
                target = ind.target.display(ind.unit) + (
                    "（最終）" if ind.target_source == "final" else ""
                )
            actual = ind.actual.display(ind.unit) or "（未記入）"
            if ind.year is not None and ind.year != report.fiscal_year:
                actual += f"（{era_label(ind.year)}）"
            if ind.total is not None:
                actual += f"（累計 {Value.of(ind.total).display(ind.unit)}）"
            if ind.preliminary:
                actual += "（速報値）"
            rate = f"{ind.rate_shown}%" if ind.rate_shown is not None else ""
            indicator_grade = ind.grade or ng
            rows.append(
                [
                    *lead,
                    clip(ind.label, 20),
                    target,
                    actual,
                    rate,
                    indicator_grade,
                    *grades,
                ]
            )
    words = terms.words() if terms else {}
    headers = [
        "No",
        "体系",
        words.get("project", "事業"),
        words.get("department", "担当課"),
        words.get("indicator", "指標"),
        words.get("target", "目標値"),
        words.get("actual", "実績値"),
        "達成率",
        "指標評価",
        "評価",
        "自己評価",
        "",
    ]
    body = table(headers, rows, right={0, 5, 6, 7})

    computed = report.counts("computed")
    own = report.counts("self")
    summary = [
        "",
        f"{COMPUTED}: " + "  ".join(f"{g} {c}" for g, c in computed.items()),
        f"{self_label(terms)}:     " + "  ".join(f"{g} {c}" for g, c in own.items()),
    ]
    mismatches = [p for p in report.projects if p.mismatch]
    if mismatches:
        differ = Message(ja="評価の不一致", en="computed and self grade differ")
        summary.append(f"{differ}: {len(mismatches)}")
        for p in mismatches:
            summary.append(
                f"  ≠ {p.name}（{p.department}）: 計算 {p.grade} / 自己評価 {p.self_grade}"
            )
    not_gradable = [p for p in report.projects if p.grade is None]
    if not_gradable:
        summary.append(f"{Message(ja=ng, en='not gradable')}: {len(not_gradable)}")
        for p in not_gradable:
            assert p.not_gradable is not None
            summary.append(f"  - {p.name}: {REASONS[p.not_gradable]}")
    if report.sections:
        summary.append(str(Message(ja="体系の評価", en="sections")) + ":")
        for sg in report.sections:
            mark = f"  ≠ 担当 {sg.self_grade}" if sg.mismatch else ""
            summary.append(
                f"  {'　' * (sg.depth - 1)}{sg.number} {sg.title or ''}（{sg.name}）: "
                f"{sg.grade or ng}（{section_basis(sg, terms)}）{mark}"
            )
    title = f"{report.title}　{report.fiscal_year_label}（FY{report.fiscal_year}）評価一覧"
    return "\n".join([title, "", body, *summary])


def check_text(report: CheckReport) -> str:
    """The check report for a terminal: per file, errors then warnings, then totals."""
    lines: list[str] = []
    for r in report.returns:
        errors, warnings = len(r.errors), len(r.warnings)
        status = "OK" if r.ok else str(Message(ja=f"エラー {errors}", en=f"errors {errors}"))
        if warnings:
            status += f"（{Message(ja=f'警告 {warnings}', en=f'warnings {warnings}')}）"
        who = f"  [{r.department}]" if r.department else ""
        lines.append(f"{r.file}{who}: {status}")
        for f in r.findings:
            mark = "エラー" if f.severity is Severity.ERROR else "警告"
            place = f"{f.sheet}!{f.cell}" if f.sheet and f.cell else "-"
            what = f"{f.field}: " if f.field else ""
            lines.append(f"  {mark:<4} {place:<14} {f.code:<22} {what}{f.message_ja}")
            lines.append(f"  {'':<4} {'':<14} {'':<22} {f.message_en}")
    c = report.counts()
    lines.append("")
    totals = Message(
        ja=f"{c['returns']} 件を点検: エラーのある回答 {c['with_errors']} 件、"
        f"エラー {c['errors']}、警告 {c['warnings']}",
        en=f"checked {c['returns']} return(s): {c['with_errors']} with errors, "
        f"{c['errors']} error(s), {c['warnings']} warning(s)",
    )
    lines.append(str(totals))
    return "\n".join(lines)


def merge_text(report: MergeReport, terms: Terms | None = None) -> str:
    """Where every department stands, and the grade summary."""
    lines = [f"{SUBMISSIONS}:"]
    for d in report.departments:
        detail = d.used or "、".join(d.files) or "－"
        counts = f"（エラー {d.errors}、警告 {d.warnings}）" if d.files else ""
        lines.append(
            f"  {STATUS_JA[d.status]:<4} {d.status.value:<9} {d.department}: {detail}{counts}"
        )
    for name in report.unidentified:
        lines.append(f"  対象外   unidentified {name}")
    for r in report.returns:
        if r.errors:
            lines.append(f"  {r.file}:")
            for f in r.errors:
                place = f"{f.sheet}!{f.cell}" if f.sheet and f.cell else "-"
                lines.append(f"    {place} {f.code}: {f.message}")
    g = report.grades
    lines.append("")
    lines.append(f"{COMPUTED}: " + "  ".join(f"{k} {v}" for k, v in g.counts().items()))
    own = "  ".join(f"{k} {v}" for k, v in g.counts("self").items())
    lines.append(f"{self_label(terms)}:     {own}")
    mismatched = [p for p in g.projects if p.mismatch]
    lines.append(f"{Message(ja='評価の不一致', en='disagreements')}: {len(mismatched)}")
    for p in mismatched:
        lines.append(f"  ≠ {p.name}（{p.department}）: 計算 {p.grade} / 自己評価 {p.self_grade}")
    return "\n".join(lines)


def demo_text(result: DemoResult) -> str:
    from kpibook.template import plan_template

    r = result.report
    who = plan_template(result.plan).terms.department  # 担当課, 担当部・課: the plan's word
    returned = sum(d.status.value == "returned" for d in r.departments)
    lines = [
        f"{result.plan.title}　{r.grades.fiscal_year_label} — kpibook demo",
        "",
        f"1. {Message(ja='記入様式', en='forms')}:        {result.forms}/  "
        f"({len(r.departments)} {who})",
        f"2. {Message(ja='回答', en='filled returns')}:   {result.returns}/  "
        "(as the departments reported)",
        f"3. {Message(ja='集約ブック', en='master')}:      {result.master}",
        f"   提出 {returned}/{len(r.departments)} {who}; sheets 概要・一覧・報告書・提出状況",
        "",
        merge_text(r, plan_template(result.plan).terms),
        "",
        f"Open {result.master} — 報告書 prints like the official report.",
    ]
    return "\n".join(lines)
