"""`python -m cli`: the same command line as `python -m etl`."""

from cli import run

run()
