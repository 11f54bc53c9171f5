"""Tunables: one documented TOML file (data/default_config.toml), optionally overlaid by the user's --config."""
from __future__ import annotations

import copy
import tomllib
from importlib import resources
from pathlib import Path
from typing import Any

from . import validate
from .errors import InputError

Config = dict[str, Any]


def default_config() -> Config:
    text = resources.files("pcap_analyzer").joinpath("data/default_config.toml").read_text(encoding="utf-8")
    return tomllib.loads(text)


def _overlay(base: Config, extra: Config, where: str) -> None:
    for key, value in extra.items():
        if f"{where}{key}" in validate.MAP_TABLES and isinstance(value, dict):
            base[key] = {**base.get(key, {}), **value}  # a map table: new keys welcome (checked by validate)
            continue
        if key not in base:
            raise InputError(f"config: unknown setting '{where}{key}'")
        if isinstance(base[key], dict):
            if not isinstance(value, dict):
                raise InputError(f"config: '{where}{key}' must be a table")
            if not base[key]:  # a table empty by default is free-form (names of the user's choosing)
                base[key] = value
                continue
            _overlay(base[key], value, f"{where}{key}.")
        else:
            if isinstance(base[key], bool) != isinstance(value, bool) or (
                isinstance(base[key], (int, float)) and not isinstance(value, (int, float))
            ) or (isinstance(base[key], (str, list)) and type(value) is not type(base[key])):
                raise InputError(f"config: '{where}{key}' has the wrong type ({type(value).__name__})")
            base[key] = value


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
    merged = copy.deepcopy(cfg)
    _overlay(merged, user, "")
    problem = validate.config_problem(merged, cfg)
    if problem:
        raise InputError(f"config: {problem}")
    return merged
