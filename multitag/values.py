"""Parsers of typed setting values, shared by every place that reads settings (command line,
YAML protocols, stored project settings). Each takes the raw value and the name to show in a
message (``--mc-samples``, ``protocol.yaml: mc_samples``) and returns the typed value or raises a
one-line :class:`~multitag.errors.MultitagError`."""
from __future__ import annotations

from typing import Any, Callable

from multitag.errors import MultitagError


def names(value: Any, key: str, allowed: Callable[[], list[str]] | None = None) -> list[str]:
    """A list of names from a list or a comma-separated string (duplicates dropped, order kept)."""
    if isinstance(value, str):
        items = [v.strip() for v in value.split(",") if v.strip()]
    elif isinstance(value, (list, tuple)) and all(isinstance(v, str) for v in value):
        items = [v.strip() for v in value if v.strip()]
    else:
        raise MultitagError(f"{key}: expected a list of names (or a comma-separated string), got {value!r}")
    if allowed is not None:
        valid = allowed()
        for v in items:
            if v not in valid:
                raise MultitagError(f"{key}: unknown value {v!r}; use one of {', '.join(valid)}")
    return list(dict.fromkeys(items))


def one_name(value: Any, key: str, allowed: Callable[[], list[str]] | None = None) -> str:
    """One name (of ``allowed``, when given)."""
    if not isinstance(value, str) or not value.strip():
        raise MultitagError(f"{key}: expected a name, got {value!r}")
    if allowed is not None and value not in allowed():
        raise MultitagError(f"{key}: unknown value {value!r}; use one of {', '.join(allowed())}")
    return value


def integer(value: Any, key: str, *, minimum: int, optional: bool = False) -> int | None:
    if value is None and optional:
        return None
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int):
        raise MultitagError(f"{key}: expected an integer, got {value!r}")
    if value < minimum:
        raise MultitagError(f"{key}: must be at least {minimum}, got {value}")
    return value


def boolean(value: Any, key: str) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "false", "yes", "no"):
        return value.lower() in ("true", "yes")
    raise MultitagError(f"{key}: expected true or false, got {value!r}")


def optional_str(value: Any, key: str) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or not value.strip():
        raise MultitagError(f"{key}: expected a string, got {value!r}")
    return value


def choice(options: tuple[str, ...]) -> Callable[[Any, str], str]:
    """A parser accepting exactly one of ``options``."""
    def parse(value: Any, key: str) -> str:
        if value not in options:
            raise MultitagError(f"{key}: use {' or '.join(options)}, not {value!r}")
        return value
    return parse
