"""suricata_rules/fallback-channels.rules read as text (what the registry and category tests check without
running Suricata; tests/test_suricata_rules.py compares it with Suricata's own parse)."""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from conftest import REPO

RULES = REPO / "suricata_rules" / "fallback-channels.rules"
RULES_REL = "suricata_rules/fallback-channels.rules"


@dataclass(frozen=True)
class Rule:
    sid: int
    msg: str
    classtype: str
    indicator: str  # metadata fallback_indicator ("" when the rule stands for no indicator type)
    technique: str  # metadata mitre_technique_id
    alerting: bool  # not noalert
    text: str


def _field(pattern: str, line: str) -> str:
    found = re.search(pattern, line)
    return found.group(1) if found else ""


def parse_line(line: str) -> Rule:
    return Rule(sid=int(_field(r"\bsid:(\d+);", line) or 0), msg=_field(r'\bmsg:"([^"]*)";', line),
                classtype=_field(r"\bclasstype:([\w-]+);", line), indicator=_field(r"fallback_indicator (\w+)", line),
                technique=_field(r"mitre_technique_id (T[\d.]+)", line), alerting="noalert" not in line, text=line)


def rules(path: Path = RULES) -> list[Rule]:
    """Every rule of the file, in order (comments and blank lines skipped)."""
    return [parse_line(line) for line in path.read_text(encoding="utf-8").splitlines()
            if line.strip() and not line.lstrip().startswith("#")]
