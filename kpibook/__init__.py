"""kpibook: collect, check and consolidate plan-progress workbooks for Japanese city offices."""

__version__ = "0.1.0"
