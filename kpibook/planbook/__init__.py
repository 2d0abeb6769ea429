"""The plan workbook: a plan as tidy sheets a coordinator edits in Excel."""

from kpibook.planbook.read import read_plan_workbook
from kpibook.planbook.write import write_blank_plan_workbook, write_plan_workbook

__all__ = ["read_plan_workbook", "write_blank_plan_workbook", "write_plan_workbook"]
