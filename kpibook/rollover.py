"""Next year's plan from this year's master (``kpibook rollover``).

This year's reported actuals become history, the report year moves on, targets are kept,
and the departments' texts and own grades stay behind (they belonged to this year's
entries, not to the plan).  What the coordinator must look at before generating next
year's forms is listed: actuals still 集計中, departments that reported nothing, years
skipped, indicators that will have no target to grade against, and projects in the plan
period's last year.
"""

from __future__ import annotations

from dataclasses import dataclass

from kpibook.entries import Entries
from kpibook.errors import KpibookError
from kpibook.fiscal import FiscalYear, era_label
from kpibook.grading import final_target
from kpibook.message import Message
from kpibook.plan import Plan
from kpibook.values import ActualStatus, ValueKind, format_number


class RolloverError(KpibookError):
    exit_code = 2


@dataclass(frozen=True)
class Attention:
    """Something the coordinator should check in next year's plan."""

    code: str
    project: str | None
    indicator: str | None
    message: Message

    def __str__(self) -> str:
        return str(self.message)


def rollover(plan: Plan, entries: Entries, to_year: FiscalYear) -> tuple[Plan, list[Attention]]:
    """The plan for ``to_year``, and what needs attention."""
    this = plan.report_year
    if to_year <= this:
        raise RolloverError(
            Message(
                ja=f"{era_label(to_year, 'long')} は報告年度（{era_label(this, 'long')}）"
                "より後にしてください",
                en=f"--to-year must come after the report year {this}",
            )
        )
    if to_year > plan.period.end:
        raise RolloverError(
            Message(
                ja=f"計画期間は{era_label(plan.period.end, 'long')}までです。"
                "次の計画を作るか、計画期間を延ばしてください",
                en=f"the plan period ends in {plan.period.end}; "
                "make the next plan or extend the period first",
            )
        )
    notes: list[Attention] = []
    data = plan.model_dump(mode="python")
    data["report_year"] = to_year
    if plan.deadline is not None:  # this year's: next year's forms must not print it
        data["deadline"] = None
        notes.append(
            Attention(
                "deadline",
                None,
                None,
                Message(
                    ja=f"提出期限（{plan.deadline:%Y年%m月%d日}）は今年度のものなので外しました。"
                    "新しい提出期限を記入してください",
                    en=f"the deadline {plan.deadline:%Y-%m-%d} was this year's and is dropped; "
                    "set the new one",
                ),
            )
        )
    for p, project in zip(data["projects"], plan.projects, strict=True):
        entry = entries.for_project(project.id)
        if entry is None:
            notes.append(
                Attention(
                    "not-reported",
                    project.id,
                    None,
                    Message(
                        ja=f"{project.name}: {era_label(this)}の回答がありません"
                        "（実績値の履歴が空になります）",
                        en=f"{project.name}: nothing was reported for {this}; "
                        "its history has a gap",
                    ),
                )
            )
        for ind_data, ind in zip(p["indicators"], project.indicators, strict=True):
            actual = entry.actuals.get(ind.id) if entry else None
            if actual is not None and not actual.is_empty:
                ind_data["actuals"][this] = actual.compact()
                if entry is not None and actual.kind is ValueKind.NUMBER:
                    status = entry.actual_status.get(ind.id)
                    if status is ActualStatus.PRELIMINARY:  # history keeps it a 速報値
                        ind_data["actual_status"][this] = status
                if actual.kind is ValueKind.PENDING:
                    notes.append(
                        Attention(
                            "still-pending",
                            project.id,
                            ind.id,
                            Message(
                                ja=f"{project.name}（{ind.label}）: {era_label(this)}の実績値は"
                                "集計中のままです。"
                                "確定したら計画の実績値を更新してください",
                                en=f"{project.name} ({ind.label}): the {this} actual is "
                                "still pending; update it in the plan when tallied",
                            ),
                        )
                    )
            elif entry is not None:
                notes.append(
                    Attention(
                        "no-actual",
                        project.id,
                        ind.id,
                        Message(
                            ja=f"{project.name}（{ind.label}）: "
                            f"{era_label(this)}の実績値がありません",
                            en=f"{project.name} ({ind.label}): no actual for {this}",
                        ),
                    )
                )
            for year in sorted(ind_data["actual_status"]):
                held = actual if year == this and actual is not None else ind.actuals[year]
                assert held.number is not None, "a status is kept for numbers only"
                shown = format_number(held.number, ind.decimals)
                notes.append(
                    Attention(
                        "preliminary",
                        project.id,
                        ind.id,
                        Message(
                            ja=f"{project.name}（{ind.label}）: {era_label(year)}の実績値 "
                            f"{shown} は速報値です。確定値が公表されたら計画の実績値を"
                            "確定値に更新し、速報値の年度から外してください",
                            en=f"{project.name} ({ind.label}): the {year} actual {shown} is "
                            "preliminary; when the final figure is published, put it in "
                            "the plan and drop the year from its preliminary years",
                        ),
                    )
                )
            has_year = ind.targets.get(to_year)
            usable = has_year is not None and has_year.kind in (
                ValueKind.NUMBER,
                ValueKind.QUALITATIVE,
            )
            fallback = plan.grading.fallback_to_final and final_target(
                ind, plan.period.end
            ).kind in (ValueKind.NUMBER, ValueKind.QUALITATIVE)
            if not usable and not fallback:
                notes.append(
                    Attention(
                        "no-target",
                        project.id,
                        ind.id,
                        Message(
                            ja=f"{project.name}（{ind.label}）: "
                            f"{era_label(to_year)}の目標値がなく、評価できません",
                            en=f"{project.name} ({ind.label}): no target for {to_year}; "
                            "it cannot be graded",
                        ),
                    )
                )
    for year in range(this + 1, to_year):
        notes.append(
            Attention(
                "skipped-year",
                None,
                None,
                Message(
                    ja=f"{era_label(year)}の実績値はどこからも入りません（年度を飛ばしています）",
                    en=f"fiscal year {year} is skipped: no actuals will be recorded for it",
                ),
            )
        )
    if to_year == plan.period.end:
        notes.append(
            Attention(
                "last-year",
                None,
                None,
                Message(
                    ja=f"{era_label(to_year, 'long')}は計画期間の最終年度です"
                    "（事業は今回で終了します）",
                    en=f"{to_year} is the last year of the plan period: its projects end with it",
                ),
            )
        )
    return Plan.model_validate(data), notes
