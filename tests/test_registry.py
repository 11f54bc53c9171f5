"""The indicator registry's contract: every entry of pcap_analyzer/data/indicators.toml has each of its pieces
(detector, weight, question, Zeek notice, schema entry, rules or an explicit none, scenario, docs line), and what
derives from it does. A forgotten piece fails with a message naming the file to edit (docs/ADDING_AN_INDICATOR.md).
"""
from __future__ import annotations

import dataclasses
import importlib
import json
import re
from pathlib import Path

import pytest

import rulefile
from conftest import REPO
from pcap_analyzer import attack, registry
from pcap_analyzer.decide import containment
from pcap_analyzer.config import default_config, load_config
from pcap_analyzer.detect import PHASE_ONE, PHASE_TWO, detector_class
from pcap_analyzer.detect.failed_fallback import ANOMALY_TYPES
from pcap_analyzer.detect.protocol_switch import TUNNEL_TYPES
from pcap_analyzer.errors import InputError
from pcap_analyzer.model import INDICATOR_TYPES
from pcap_analyzer.report import patterns
from pcap_analyzer.report.common import QUESTION_TEXT
from pcap_analyzer.decide.verdict import DNS_TYPES, PORT_TYPES, QUESTIONS, SIGNATURE_TYPES

REGISTRY = "pcap_analyzer/data/indicators.toml"
DOCS = REPO / "docs" / "INDICATORS.md"


#: The types this file pins by name; a type added later joins every derived group by its registry entry alone,
#: so adding one needs no edit here (docs/ADDING_AN_INDICATOR.md).
KNOWN_TYPES = ("failed_then_fallback", "dynamic_dns", "nonstandard_port_encrypted", "protocol_switch",
               "protocol_port_mismatch", "dns_tunnel", "icmp_tunnel", "beaconing", "intel_match", "baseline_deviation")


def known(types) -> tuple[str, ...]:
    """``types`` restricted to KNOWN_TYPES, in its order."""
    return tuple(t for t in types if t in KNOWN_TYPES)


def zeek_notices() -> set[str]:
    """"Module::Name" of every Notice::Type the Zeek package declares (in any of its scripts)."""
    out = set()
    for script in sorted((REPO / "zeek_scripts").glob("*.zeek")):
        text = script.read_text()
        module = re.search(r"^module (\w+);", text, re.M)
        for block in re.findall(r"redef enum Notice::Type \+= \{(.*?)\};", text, re.S):
            names = re.findall(r"^\s*(\w+),?\s*$", re.sub(r"##.*", "", block), re.M)
            out.update(f"{module.group(1) if module else 'GLOBAL'}::{n}" for n in names)
    return out


#: A Finding(...) of the Zeek package up to its $note (one level of nested calls inside, e.g. community_id(c)).
ZEEK_FINDING_NOTE = re.compile(r"\bFinding\((?:[^()]|\([^()]*\))*?\$note=(\w+)", re.S)


def zeek_emitted() -> dict[str, set[str]]:
    """indicator -> the notice names the scripts report it with (Finding(..., $note=Y, ...)); report() derives the
    indicator name from the notice: its name in lower case (FallbackChannels::indicator_name)."""
    text = "".join(p.read_text() for p in (REPO / "zeek_scripts").glob("*.zeek"))
    out: dict[str, set[str]] = {}
    for note in ZEEK_FINDING_NOTE.findall(text):
        out.setdefault(note.lower(), set()).add(note)
    return out


def suricata_rules() -> list[tuple[int, str, str, bool]]:
    """(sid, fallback_indicator, mitre_technique_id, alerting) of every rule."""
    return [(r.sid, r.indicator, r.technique, r.alerting) for r in rulefile.rules()]


def problems(entry: registry.Indicator) -> list[str]:
    """What of ``entry``'s contract is missing, each naming the file to edit ([] = complete)."""
    out: list[str] = []
    name = entry.name
    # detector
    path = REPO / "pcap_analyzer" / Path(*entry.detector.split(".")).with_suffix(".py")
    rel = path.relative_to(REPO)
    if not path.is_file():
        out.append(f"{rel}: missing (the detector of {name}; {REGISTRY}: detector)")
    else:
        module = importlib.import_module(f"pcap_analyzer.{entry.detector}")
        classes = [c for c in vars(module).values() if isinstance(c, type) and getattr(c, "name", None) == name]
        if entry.detector.startswith("detect."):
            if detector_class(entry) is None:
                out.append(f"{rel}: no detector class with name = \"{name}\"")
            elif getattr(detector_class(entry), "phase", 1) not in (1, 2):
                out.append(f"{rel}: phase must be 1 (flows and names) or 2 (correlates phase one's indicators)")
        elif not classes and getattr(module, "KIND", None) != name:
            out.append(f"{rel}: declare KIND = \"{name}\" (or a class with name = \"{name}\")")
    # weight
    if not entry.weight > 0 or default_config().verdict.weights.get(name) != entry.weight:
        out.append(f"{REGISTRY}: {name} needs a weight > 0 (and it must reach [verdict] weights)")
    # question
    if entry.question not in QUESTIONS and not registry.is_none(entry.question):
        out.append(f"{REGISTRY}: {name}'s question must be one of {list(QUESTIONS)} or 'none: <reason>'")
    # Zeek notice
    if not registry.is_none(entry.zeek_notice):
        if entry.zeek_notice not in zeek_notices():
            out.append(f"zeek_scripts/: declare Notice::Type {entry.zeek_notice} (redef enum Notice::Type += {{...}})")
        if entry.zeek_notice.split("::")[1] not in zeek_emitted().get(name, set()):
            out.append(f"zeek_scripts/: report {name} with report(Finding(..., $note={entry.zeek_notice.split('::')[1]}))")
    elif name in zeek_emitted():
        out.append(f"{REGISTRY}: {name} is reported by the Zeek package: name its zeek_notice")
    # schema
    schema = json.loads((REPO / "pcap_analyzer" / "data" / "report.schema.json").read_text())
    if name not in schema["$defs"]["indicator"]["properties"]["type"]["enum"]:
        out.append(f"pcap_analyzer/data/report.schema.json: add {name} to $defs.indicator.properties.type.enum")
    # rules
    mine = [r for r in suricata_rules() if r[1] == name]
    if registry.is_none(entry.suricata):
        if mine:
            out.append(f"{REGISTRY}: {name} has rules (SIDs {[r[0] for r in mine]}): list their SID groups")
    else:
        groups = entry.suricata
        if not any(alerting for _, _, _, alerting in mine):
            out.append(f"suricata_rules/fallback-channels.rules: no alerting rule with "
                       f"'fallback_indicator {name}' (or {REGISTRY}: suricata = \"none: <reason>\")")
        for sid, _, technique, _ in mine:
            if not any(first <= sid <= last for first, last in groups):
                out.append(f"{REGISTRY}: SID {sid} ({name}) is outside {name}'s SID groups")
            if technique not in {t.split(".")[0] for t in entry.attack} | set(entry.attack):
                out.append(f"suricata_rules/fallback-channels.rules: SID {sid} names {technique}, not one of "
                           f"{name}'s techniques {list(entry.attack)}")
    # scenario
    if not registry.is_none(entry.scenario):
        labels = json.loads((REPO / "pcaps" / "labels.json").read_text())["captures"].values()
        shown = [c for c in labels if c["scenario"] == entry.scenario
                 and any(name in h["indicators"] for h in c["hosts"].values())]
        if not shown:
            out.append(f"pcaps/labels.json (pcaps/generate.py): no {entry.scenario!r} scenario whose labels expect {name}")
    # docs
    if not re.search(rf"^\| `{name}` \|", DOCS.read_text(), re.M):
        out.append(f"docs/INDICATORS.md: add a row for `{name}`")
    return out


@pytest.mark.parametrize("entry", registry.indicators(), ids=lambda e: e.name)
def test_every_indicator_has_every_piece(entry: registry.Indicator) -> None:
    missing = problems(entry)
    assert not missing, f"{entry.name} is missing pieces:\n  " + "\n  ".join(missing)


def test_a_forgotten_piece_names_the_file_to_edit() -> None:
    base = registry.get("dns_tunnel")
    new = dataclasses.replace(base, name="doh_tunnel", detector="detect.doh_tunnel", scenario="fallback_doh")
    found = "\n".join(problems(new))
    for where in ("pcap_analyzer/detect/doh_tunnel.py", "report.schema.json", "fallback-channels.rules",
                  "pcaps/labels.json", "docs/INDICATORS.md", f"{REGISTRY}: doh_tunnel needs a weight"):
        assert where in found
    unnoticed = dataclasses.replace(base, zeek_notice="FallbackChannels::DoH_Tunnel")
    assert any("declare Notice::Type FallbackChannels::DoH_Tunnel" in p for p in problems(unnoticed))
    wrong_group = dataclasses.replace(base, suricata=((1008030, 1008039),))
    assert any("outside dns_tunnel's SID groups" in p for p in problems(wrong_group))


def test_every_type_the_engines_emit_is_registered() -> None:
    kinds = {kind for _, kind, _, _ in suricata_rules() if kind}  # POLICY rules stand for no indicator type
    assert kinds <= set(INDICATOR_TYPES), "suricata_rules/fallback-channels.rules"
    assert set(zeek_emitted()) <= set(INDICATOR_TYPES), "zeek_scripts/"
    labels = json.loads((REPO / "pcaps" / "labels.json").read_text())["captures"].values()
    used = {k for c in labels for h in c["hosts"].values() for k in (*h["indicators"], *h["absent"])}
    assert used <= set(INDICATOR_TYPES), "pcaps/labels.json"


# ---- what derives from it -----------------------------------------------------------------------------------

def test_detectors_run_are_the_registry_s() -> None:
    """detect.PHASE_ONE / PHASE_TWO are the registry's detect.* entries, each by its class's phase, in registry
    order: no hand list to forget."""
    mine = [e for e in registry.indicators() if e.detector.startswith("detect.")]
    assert [c.name for c in (*PHASE_ONE, *PHASE_TWO)] == sorted(
        (e.name for e in mine), key=lambda n: getattr(detector_class(registry.get(n)), "phase", 1))
    assert known(c.name for c in PHASE_TWO) == ("failed_then_fallback", "protocol_switch")
    assert known(c.name for c in PHASE_ONE) == ("dynamic_dns", "nonstandard_port_encrypted", "protocol_port_mismatch",
                                                "dns_tunnel", "icmp_tunnel", "beaconing", "intel_match")
    assert len(PHASE_ONE) + len(PHASE_TWO) == len(mine)


def test_derived_groups_are_the_registry_flags() -> None:
    """Each group is the registry's (a new type joins by its entry alone); the known types' places are pinned."""
    assert INDICATOR_TYPES == registry.names()
    assert ANOMALY_TYPES == registry.with_flag("anomaly")
    assert TUNNEL_TYPES == registry.with_flag("tunnel")
    assert SIGNATURE_TYPES == registry.with_flag("signature")
    assert PORT_TYPES == registry.for_question("nonstandard_ports")
    assert DNS_TYPES == registry.for_question("unusual_dns")
    assert set(known(ANOMALY_TYPES)) == {"nonstandard_port_encrypted", "protocol_port_mismatch", "dns_tunnel",
                                         "icmp_tunnel", "dynamic_dns", "intel_match"}
    assert known(TUNNEL_TYPES) == ("dns_tunnel", "icmp_tunnel")
    assert known(SIGNATURE_TYPES) == ("failed_then_fallback", "nonstandard_port_encrypted", "protocol_port_mismatch",
                                      "beaconing")
    assert known(PORT_TYPES) == ("nonstandard_port_encrypted", "protocol_port_mismatch")
    assert known(DNS_TYPES) == ("dns_tunnel", "dynamic_dns")  # strongest evidence first
    assert QUESTIONS == tuple(QUESTION_TEXT) == ("nonstandard_ports", "protocol_switch", "unusual_dns",
                                                 "fail_then_resume")


def test_attack_techniques_are_the_registry_s() -> None:
    for entry in registry.indicators():
        assert entry.attack[:1] == ("T1008",), f"{REGISTRY}: {entry.name}'s attack starts with T1008"
        assert set(entry.attack) <= set(attack.NAMES), f"pcap_analyzer/attack.py: name {set(entry.attack) - set(attack.NAMES)}"
        assert attack.BY_TYPE[entry.name] == entry.attack


def test_schema_enum_is_the_registry_in_order() -> None:
    schema = json.loads((REPO / "pcap_analyzer" / "data" / "report.schema.json").read_text())
    assert tuple(schema["$defs"]["indicator"]["properties"]["type"]["enum"]) == registry.names(), (
        "pcap_analyzer/data/report.schema.json: the indicator type enum must list the registry, in its order")


def test_report_patterns_follow_the_registry_ranks() -> None:
    assert patterns.MAIN_ORDER == tuple(sorted(registry.names(), key=lambda n: registry.get(n).rank))
    assert known(patterns.MAIN_ORDER) == ("dns_tunnel", "icmp_tunnel", "failed_then_fallback", "intel_match",
                                          "dynamic_dns", "protocol_switch", "nonstandard_port_encrypted",
                                          "protocol_port_mismatch", "beaconing", "baseline_deviation")
    assert set(patterns.LABELS) == set(registry.names())
    assert patterns.LABELS["dns_tunnel"].format("t.example") == "DNS tunnel under t.example"


def test_containment_main_type_follows_registry_order() -> None:
    assert containment.main_type({"intel_match", "dynamic_dns", "beaconing"}) == "dynamic_dns"
    assert containment.main_type(set(reversed(registry.names()))) == registry.names()[0]


def test_config_weights_come_from_the_registry_and_can_be_overridden(tmp_path: Path) -> None:
    verdict = default_config().verdict
    assert verdict.weights == {e.name: e.weight for e in registry.indicators()}
    assert verdict.evasive == registry.with_flag("evasive")
    assert verdict.always_escalate == ("failed_then_fallback", "icmp_tunnel")
    toml = (REPO / "pcap_analyzer" / "data" / "default_config.toml").read_text()
    section = toml.split("\n[verdict]\n")[1].split("\n[")[0]
    assert not re.search(r"^(weights|evasive|always_escalate)\s*=", section, re.M), "the registry holds them, once"
    user = tmp_path / "my.toml"
    user.write_text("[verdict.weights]\ndns_tunnel = 30.0\n[verdict]\nalways_escalate = [\"icmp_tunnel\"]\n")
    cfg = load_config(user)
    assert cfg.verdict.weights["dns_tunnel"] == 30.0
    assert cfg.verdict.weights["dynamic_dns"] == registry.get("dynamic_dns").weight
    assert cfg.verdict.always_escalate == ("icmp_tunnel",)


@pytest.mark.parametrize(("text", "message"), [
    ("[verdict.weights]\ndoh_tunnel = 30.0\n", "config: 'verdict.weights' names unknown indicator type 'doh_tunnel'"),
    ("[verdict]\nevasive = [\"dns_tunel\"]\n", "config: 'verdict.evasive' names unknown indicator type 'dns_tunel'"),
])
def test_config_rejects_unregistered_types(tmp_path: Path, text: str, message: str) -> None:
    user = tmp_path / "bad.toml"
    user.write_text(text)
    with pytest.raises(InputError, match=re.escape(message)):
        load_config(user)


def test_a_malformed_registry_entry_is_one_line(monkeypatch: pytest.MonkeyPatch) -> None:
    raw = {"name": "x", "description": "d", "detector": "detect.x", "question": "unusual_dns", "attack": ["T1572"],
           "weight": 10.0, "flags": ["evasive"], "zeek_notice": "none: r", "suricata": "none: r", "scenario": "none: r",
           "rank": 11, "pattern": "x to {}"}
    questions = registry.questions()
    assert registry._entry(raw, questions).name == "x"
    for change, message in [({"flags": ["sneaky"]}, "unknown flags ['sneaky']"),
                            ({"attack": ["1572"]}, "attack must be ATT&CK technique IDs"),
                            ({"weight": -1}, "weight must be a number in [0, 100]"),
                            ({"question": "none"}, "question must be one of"),
                            ({"suricata": ["1008010"]}, "suricata must be SID groups"),
                            ({"zeek_notice": "Dynamic_DNS"}, "zeek_notice must be 'Module::Name'"),
                            ({"rank": 0}, "rank must be an integer >= 1"),
                            ({"pattern": "x"}, "pattern must be a label with one '{}'")]:
        with pytest.raises(InputError, match=re.escape(message)):
            registry._entry({**raw, **change}, questions)
    with pytest.raises(InputError, match=r"missing \['weight'\]"):
        registry._entry({k: v for k, v in raw.items() if k != "weight"}, questions)


def test_rule_categories_are_a_closed_validated_set() -> None:
    """[rule_categories]: UPPER_CASE names, each with classtypes, c2 and a description; a bad one is one line."""
    categories = registry.rule_categories()
    assert list(categories) == ["INFO", "POLICY", "NONSTANDARD_PORT", "TUNNEL", "C2_FALLBACK"]
    assert categories["POLICY"].classtypes == {"policy-violation"} and not categories["POLICY"].c2
    assert categories["C2_FALLBACK"].c2 and "command-and-control" in categories["C2_FALLBACK"].classtypes
    good = {"classtypes": ["misc-activity"], "c2": False, "description": "d"}
    for name, raw, message in [("hunting", good, "a category is UPPER_CASE"),
                               ("X", {**good, "c2": "no"}, "c2 must be true or false"),
                               ("X", {**good, "classtypes": []}, "classtypes must be a non-empty list"),
                               ("X", {"classtypes": ["a"], "c2": False}, "needs exactly classtypes, c2 and description")]:
        with pytest.raises(InputError, match=re.escape(message)):
            registry._category(name, raw)
