"""Reading workbooks through openpyxl: a sheet is parsed a second time, for its formulas,
only when its XML holds one."""

from __future__ import annotations

import pytest

from kpibook.xlsx_read import _FORMULA


@pytest.mark.parametrize(
    ("xml", "formula"),
    [
        (b'<c r="B2"><f>40000+7000</f><v>47000</v></c>', True),
        (b'<c r="B3"><f t="shared" ref="B3:B9" si="0"/></c>', True),
        (b'<x:c r="B2"><x:f>A1*2</x:f></x:c>', True),
        (b'<c r="B2" t="s"><v>3</v></c>', False),
        (b'<dataValidation><formula1>"A,B,C"</formula1></dataValidation>', False),
        (b'<autoFilter ref="A1:C9"><filterColumn colId="0"/></autoFilter>', False),
    ],
)
def test_a_formula_is_told_from_anything_else(xml: bytes, formula: bool) -> None:
    assert (_FORMULA.search(xml) is not None) is formula
