"""One tag cell of a data file: a tag of a scheme, ``_`` for not annotated, or an error at its line."""
from __future__ import annotations

from multitag.data.schemes import is_valid_tag
from multitag.errors import DataError

UNANNOTATED = "_"


def read_tag(value: str, path: str, line: int, *, hint: str = "or _ for not annotated", where: str = "") -> str | None:
    """``value`` as a tag (``None`` for ``_``); ``where`` (e.g. ``" in column 2"``) goes into the message."""
    if value == UNANNOTATED:
        return None
    if "," in value:
        parts = value.split(",")
        if all(is_valid_tag(p) for p in parts):
            raise DataError(f"{len(parts)} labels joined by commas ({value!r}){where}: multitag needs one tag per token; "
                            f"keep one of them (e.g. {parts[0]!r})", path=path, line=line)
    if not is_valid_tag(value):
        raise DataError(f"invalid tag {value!r}{where} (expected O or B-/I-/E-/S-TYPE, {hint})", path=path, line=line)
    return value


def is_tag_cell(value: str) -> bool:
    """A tag or ``_``."""
    return value == UNANNOTATED or is_valid_tag(value)
