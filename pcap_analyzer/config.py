"""Tunables: one documented TOML file (data/default_config.toml), optionally overlaid by the user's --config, built
into the typed, frozen ``Config`` of config_schema (``cfg.detect.beaconing.min_score``).

Any problem (an unknown key, a wrong type, a value out of its range) is an InputError of one line naming the key.
"""
from __future__ import annotations

import tomllib
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

from . import registry, validate
from .config_schema import Config
from .conftypes import MISSING, build, plain
from .errors import InputError

__all__ = ["Config", "default_config", "default_table", "load_config", "override", "plain"]


def default_table() -> dict[str, Any]:
    """The defaults as plain TOML data: data/default_config.toml, plus the [verdict] settings of the registry."""
    text = resources.files("pcap_analyzer").joinpath("data/default_config.toml").read_text(encoding="utf-8")
    table = tomllib.loads(text)
    verdict = table["verdict"]  # what the indicator registry holds (data/indicators.toml)
    verdict["weights"] = registry.default_weights()
    verdict["evasive"] = list(registry.with_flag("evasive"))
    verdict["always_escalate"] = list(registry.with_flag("always_escalate"))
    return table


@lru_cache(maxsize=1)
def default_config() -> Config:
    """The defaults, typed (one shared instance: a Config is frozen)."""
    return build(Config, default_table(), MISSING, "")


def override(cfg: Config, changes: dict[str, Any]) -> Config:
    """``cfg`` with ``changes`` (TOML-shaped: ``{"report": {"top": 3}}``) applied and checked like a --config file."""
    return build(Config, plain(cfg), changes, "")


def load_config(path: str | Path | None = None) -> Config:
    """Defaults, overlaid by the TOML file at ``path``. Raises InputError on any problem with the file."""
    cfg = default_config()
    if path is None:
        return cfg
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"config: cannot read {path}: {getattr(exc, 'strerror', None) or exc}") from None
    try:
        user = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise InputError(f"config: {path} is not valid TOML: {validate.quote(exc)}") from None
    except RecursionError:
        raise InputError(f"config: {path} nests arrays or tables too deeply") from None
    return override(cfg, user)
