"""``--param KEY=VALUE`` parsing shared by the commands."""
from __future__ import annotations

from multitag.errors import MultitagError


def parse_params(items: tuple[str, ...]) -> dict:
    """``--param key=value`` pairs; values are read as YAML scalars/lists (``3``, ``0.1``, ``[a, b]``)."""
    import yaml

    params = {}
    for item in items:
        if "=" not in item:
            raise MultitagError(f"--param expects KEY=VALUE, got {item!r}")
        key, value = item.split("=", 1)
        try:
            params[key.strip().replace("-", "_")] = yaml.safe_load(value)
        except yaml.YAMLError:
            params[key.strip().replace("-", "_")] = value
    return params
