"""The indicator registry (data/indicators.toml): every indicator type, once, with what derives from it.

``INDICATORS`` is the registry in its order; the helpers below are what the rest of the package derives from it
(``model.INDICATOR_TYPES``, the verdict's type groups, the detectors' anomaly / tunnel groups, the default weights).
It imports nothing of the package but ``errors``, so any module can import it.
"""
from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Any

from .errors import InputError

REGISTRY_FILE = "data/indicators.toml"
FLAGS = frozenset({"evasive", "anomaly", "tunnel", "signature", "always_escalate"})
_ATTACK_ID = re.compile(r"T\d{4}(?:\.\d{3})?")
_SID_GROUP = re.compile(r"(\d{7})-(\d{7})")
_KEYS = frozenset({"name", "description", "detector", "question", "attack", "weight", "flags", "zeek_notice",
                   "suricata", "scenario", "rank", "pattern"})


def is_none(value: object) -> bool:
    """An explicit "none: <reason>" (a piece an indicator deliberately has not)."""
    return isinstance(value, str) and value.startswith("none: ") and len(value) > len("none: ")


@dataclass(frozen=True)
class Indicator:
    """One registry entry (see data/indicators.toml for each field's meaning)."""

    name: str
    description: str
    detector: str  # module under pcap_analyzer/, e.g. "detect.dyndns"
    question: str  # a key of QUESTIONS, or "none: <reason>"
    attack: tuple[str, ...]
    weight: float
    flags: frozenset[str]
    zeek_notice: str  # "Module::Name", or "none: <reason>"
    suricata: tuple[tuple[int, int], ...] | str  # SID groups (first, last), or "none: <reason>"
    scenario: str  # a pcaps/labels.json scenario, or "none: <reason>"
    rank: int  # 1 = most telling (a host's pattern is its most telling indicator)
    pattern: str  # the pattern's label, "{}" = its target

    def has(self, flag: str) -> bool:
        return flag in self.flags


def _entry(raw: dict[str, Any], questions: dict[str, str]) -> Indicator:
    name = raw.get("name", "?")
    where = f"{REGISTRY_FILE} [{name}]"

    def bad(msg: str) -> InputError:
        return InputError(f"{where}: {msg}")

    if set(raw) != _KEYS:
        missing, unknown = sorted(_KEYS - set(raw)), sorted(set(raw) - _KEYS)
        raise bad(f"missing {missing}" if missing else f"unknown keys {unknown}")
    if not re.fullmatch(r"[a-z][a-z0-9_]*", str(name)):
        raise bad("name must be lower_case")
    if raw["question"] not in questions and not is_none(raw["question"]):
        raise bad(f"question must be one of {sorted(questions)} or 'none: <reason>'")
    attack = tuple(raw["attack"])
    if not all(isinstance(t, str) and _ATTACK_ID.fullmatch(t) for t in attack):
        raise bad(f"attack must be ATT&CK technique IDs (T1234 or T1234.001), not {attack}")
    weight = raw["weight"]
    if isinstance(weight, bool) or not isinstance(weight, (int, float)) or not 0 <= weight <= 100:
        raise bad("weight must be a number in [0, 100]")
    flags = frozenset(raw["flags"])
    if not flags <= FLAGS:
        raise bad(f"unknown flags {sorted(flags - FLAGS)} (known: {sorted(FLAGS)})")
    notice = raw["zeek_notice"]
    if not (is_none(notice) or re.fullmatch(r"\w+::\w+", str(notice))):
        raise bad("zeek_notice must be 'Module::Name' or 'none: <reason>'")
    suricata: tuple[tuple[int, int], ...] | str
    if is_none(raw["suricata"]):
        suricata = raw["suricata"]
    else:
        groups = [_SID_GROUP.fullmatch(str(g)) for g in raw["suricata"]]
        if not groups or not all(groups):
            raise bad("suricata must be SID groups ('1008010-1008019') or 'none: <reason>'")
        suricata = tuple((int(m.group(1)), int(m.group(2))) for m in groups if m)
    for key in ("description", "scenario"):
        if not isinstance(raw[key], str) or not raw[key]:
            raise bad(f"{key} must be a non-empty string")
    if isinstance(raw["rank"], bool) or not isinstance(raw["rank"], int) or raw["rank"] < 1:
        raise bad("rank must be an integer >= 1")
    if not isinstance(raw["pattern"], str) or raw["pattern"].count("{}") != 1:
        raise bad("pattern must be a label with one '{}' for its target")
    if not re.fullmatch(r"[a-z_]+(?:\.[a-z_]+)+", str(raw["detector"])):
        raise bad("detector must be a module under pcap_analyzer ('detect.dyndns')")
    return Indicator(name=name, description=raw["description"], detector=raw["detector"], question=raw["question"],
                     attack=attack, weight=float(weight), flags=flags, zeek_notice=notice, suricata=suricata,
                     scenario=raw["scenario"], rank=raw["rank"], pattern=raw["pattern"])


@dataclass(frozen=True)
class RuleCategory:
    """One category of the Suricata rules' messages ("FALLBACK-HUNT <name> ...")."""

    name: str
    classtypes: frozenset[str]
    c2: bool
    description: str


def _category(name: str, raw: dict[str, Any]) -> RuleCategory:
    where = f"{REGISTRY_FILE} [rule_categories.{name}]"
    if not re.fullmatch(r"[A-Z][A-Z0-9_]*", name):
        raise InputError(f"{where}: a category is UPPER_CASE")
    if set(raw) != {"classtypes", "c2", "description"}:
        raise InputError(f"{where}: needs exactly classtypes, c2 and description")
    if not raw["classtypes"] or not all(isinstance(c, str) and c for c in raw["classtypes"]):
        raise InputError(f"{where}: classtypes must be a non-empty list of classtype names")
    if not isinstance(raw["c2"], bool):
        raise InputError(f"{where}: c2 must be true or false")
    return RuleCategory(name, frozenset(raw["classtypes"]), raw["c2"], str(raw["description"]))


@lru_cache(maxsize=1)
def _load() -> tuple[dict[str, str], tuple[Indicator, ...]]:
    questions = dict(_raw()["questions"])
    entries = tuple(_entry(raw, questions) for raw in _raw()["indicator"])
    names = [e.name for e in entries]
    if len(set(names)) != len(names):
        raise InputError(f"{REGISTRY_FILE}: an indicator is listed twice")
    ranks = [e.rank for e in entries]
    if len(set(ranks)) != len(ranks):
        raise InputError(f"{REGISTRY_FILE}: two indicators have the same rank")
    return questions, entries


@lru_cache(maxsize=1)
def _raw() -> dict[str, Any]:
    return tomllib.loads(resources.files("pcap_analyzer").joinpath(REGISTRY_FILE).read_text(encoding="utf-8"))


@lru_cache(maxsize=1)
def rule_categories() -> dict[str, RuleCategory]:
    """The closed set of Suricata msg categories, by name, in the registry's order."""
    return {name: _category(name, raw) for name, raw in _raw().get("rule_categories", {}).items()}


def questions() -> dict[str, str]:
    """Playbook question key -> its text, in the order reports show them."""
    return dict(_load()[0])


def indicators() -> tuple[Indicator, ...]:
    """Every registered indicator type, in registry order."""
    return _load()[1]


def get(name: str) -> Indicator:
    for entry in indicators():
        if entry.name == name:
            return entry
    raise KeyError(name)


def names() -> tuple[str, ...]:
    return tuple(e.name for e in indicators())


def with_flag(flag: str) -> tuple[str, ...]:
    """The names carrying ``flag``, in registry order."""
    if flag not in FLAGS:
        raise KeyError(flag)
    return tuple(e.name for e in indicators() if e.has(flag))


def for_question(question: str) -> tuple[str, ...]:
    """The names whose evidence a question's answer lists: strongest default weight first, then registry order."""
    if question not in _load()[0]:
        raise KeyError(question)
    return tuple(sorted((e.name for e in indicators() if e.question == question), key=lambda n: -get(n).weight))


def default_weights() -> dict[str, float]:
    return {e.name: e.weight for e in indicators()}


def zeek_notices() -> dict[str, str]:
    """Indicator name -> the Zeek notice it is raised as (indicators the Zeek package leaves out are absent)."""
    return {e.name: e.zeek_notice for e in indicators() if not is_none(e.zeek_notice)}


#: The four playbook questions (HostReport.answers keys), in the order reports show them.
QUESTIONS: tuple[str, ...] = tuple(questions())
