"""Reading and checking returned forms (``kpibook check``)."""
