"""How to read the files of a data set when detection is not enough: encoding, columns, repairs.

``columns`` and ``tag_column`` use 1-based column numbers, as the command-line options do
(``--columns token=2,tag=1``, ``--tag-column outer``).
"""
from __future__ import annotations

from dataclasses import dataclass, field

from multitag.errors import MultitagError

COLUMN_ROLES = ("token", "tag", "pos")
NESTED_CHOICES = ("outer", "inner")


@dataclass(frozen=True)
class ReadOptions:
    """Attributes
    ----------
    encoding : read every file strictly in this codec; ``None``: UTF-8, else cp1252 / Latin-1
    columns : role -> 1-based column (``{"token": 2, "tag": 1}``); ``None``: detected
    tag_column : ``"outer"`` / ``"inner"`` (of two nested tag columns) or a 1-based column number
    repair : read a stray ``I-X`` (after ``O``, after another type, at a sentence start) as ``B-X``
    """

    encoding: str | None = None
    columns: dict[str, int] | None = field(default=None, hash=False)
    tag_column: str | int | None = None
    repair: bool = False

    @classmethod
    def parse(cls, encoding=None, columns=None, tag_column=None, repair=None) -> "ReadOptions":
        """From option or ``config.yaml`` values (text; ``None`` for a default), each parsed and checked."""
        return cls(encoding=encoding or None, columns=parse_columns(columns), tag_column=parse_tag_column(tag_column),
                   repair=bool(repair))

    @property
    def as_options(self) -> list[str]:
        """The command-line options that give these settings (for messages and ``--as-command``)."""
        out = []
        if self.encoding:
            out += ["--encoding", self.encoding]
        if self.columns:
            out += ["--columns", format_columns(self.columns)]
        if self.tag_column is not None:
            out += ["--tag-column", str(self.tag_column)]
        if self.repair:
            out.append("--repair")
        return out


def format_columns(columns: dict[str, int]) -> str:
    return ",".join(f"{role}={columns[role]}" for role in COLUMN_ROLES if role in columns)


def parse_columns(text: str | None) -> dict[str, int] | None:
    """``"token=2,tag=1"`` -> ``{"token": 2, "tag": 1}``; a :class:`MultitagError` names what is wrong."""
    if text is None or isinstance(text, dict):
        return text
    out: dict[str, int] = {}
    for part in str(text).split(","):
        role, eq, num = part.strip().partition("=")
        role = role.strip().lower()
        if not eq or role not in COLUMN_ROLES or not num.strip().isdigit() or int(num) < 1:
            raise MultitagError(f"--columns: {part.strip()!r} is not ROLE=N with ROLE one of {', '.join(COLUMN_ROLES)} "
                                "and N a column number from 1 (e.g. --columns token=2,tag=1)")
        if role in out:
            raise MultitagError(f"--columns: {role} given twice")
        out[role] = int(num)
    if "token" not in out:
        raise MultitagError("--columns: name the token column (e.g. --columns token=2,tag=1)")
    if len(set(out.values())) != len(out):
        raise MultitagError(f"--columns: two roles in one column ({text})")
    return out


def parse_tag_column(value) -> str | int | None:
    """``"outer"``, ``"inner"`` or a column number from 1."""
    if value is None or isinstance(value, int) and not isinstance(value, bool) and value >= 1:
        return value
    text = str(value).strip().lower()
    if text in NESTED_CHOICES:
        return text
    if text.isdigit() and int(text) >= 1:
        return int(text)
    raise MultitagError(f"--tag-column: {value!r} is not outer, inner or a column number from 1")
