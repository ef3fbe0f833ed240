"""`python -m etl …`, as documented: the command line itself lives in cli/, above the pipeline it drives."""

from cli import run

run()
