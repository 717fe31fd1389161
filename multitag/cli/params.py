"""``--param KEY=VALUE`` parsing shared by the commands (one parser, in the experiment config)."""
from __future__ import annotations

from multitag.experiments.config import parse_param_items as parse_params

__all__ = ["parse_params"]
