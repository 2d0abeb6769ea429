"""``python -m kpibook`` runs the command line."""

from kpibook.cli import main

main()
