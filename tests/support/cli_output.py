"""What a failing command may print: what it read per split, then exactly one ``error:`` line."""
import re

_SPLIT_LINE = re.compile(r"^(train|dev|test): .+: [\d,]+ sentences, [\d,]+ tokens")


def the_one_error(output: str) -> str:
    """The command's single error line; fails when anything else than split descriptions precedes it."""
    assert "Traceback" not in output, output
    lines = output.strip().splitlines()
    assert lines and lines[-1].startswith("error: "), output
    assert all(_SPLIT_LINE.match(line) for line in lines[:-1]), output
    return lines[-1]
