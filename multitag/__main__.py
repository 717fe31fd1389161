"""``python -m multitag``: the multitag command line."""
from multitag.cli import main

main(prog_name="multitag")
