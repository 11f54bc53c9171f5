"""suricata_rules/ proven in real Suricata 7: the ruleset loads, suricata-check finds nothing to warn about, every
rule's msg has a category of the registry's closed set, and every case under tests/suricata/cases/ alerts (or
stays silent) as its test.yaml says.

One Suricata run per capture, cached for the session; a case lists the SIDs that must alert and those that must not.
Captures come from the scenario corpus (pcaps/), the shared real captures (../shared/pcaps) and, for behaviour
neither corpus has, small captures a case's packets.py builds with scapy.
"""
from __future__ import annotations

import base64
import dataclasses
import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml
from scapy.all import Packet, wrpcap

import rulefile
from conftest import REPO, SCENARIOS, SHARED_PCAPS, shared_captures
from pcap_analyzer import feeds, registry
from pcap_analyzer.sources import suricata
from pcap_analyzer.config import load_config
from pcap_analyzer.homenet import HomeNet
from pcap_analyzer.model import INDICATOR_TYPES

pytestmark = pytest.mark.suricata
NO_SURICATA = "the suricata binary is not installed"
needs_suricata = pytest.mark.skipif(not suricata.available(), reason=NO_SURICATA)

SURICATA_TESTS = REPO / "tests" / "suricata"
CASES_DIR = SURICATA_TESTS / "cases"
RULES_DIR = REPO / "suricata_rules"
SID_BLOCK = range(1008000, 1008100)
ET_SEVERITIES = {"Informational", "Minor", "Major", "Critical"}
#: metadata tool_class of POLICY rules: the policy classes of [apps] (VPN, remote access, P2P)
POLICY_TOOL_CLASSES = {"VPN", "remote_access", "P2P"}


# ---- the cases: one folder each, as suricata-verify lays its tests out ------------------------------------------

@dataclass(frozen=True)
class Case:
    """tests/suricata/cases/<name>/: test.yaml (capture, home-net, expect, absent, allow), README.md (what it shows)
    and, for a crafted capture, packets.py (``packets()`` builds it with tests/suricata/craft.py)."""

    name: str
    folder: Path
    capture: str  # "scenario:<pcaps/ file>", "shared:<kind>/<file>", "crafted" (packets.py)
    expect: tuple[int, ...]  # SIDs that must alert
    absent: tuple[int, ...] | str  # SIDs that must not, or "all": no alert (but those of the `allow` categories)
    allow: tuple[str, ...] = ()  # with absent "all": msg categories whose alerts may appear (POLICY on apps)
    home_net: tuple[str, ...] = ()
    skip: tuple[str, ...] = ()  # with a capture pattern: the file names left to cases of their own

    @property
    def about(self) -> str:
        return (self.folder / "README.md").read_text(encoding="utf-8").strip()


CASE_KEYS = {"capture", "expect", "absent", "allow", "home-net", "skip"}


def load_case(folder: Path) -> Case:
    spec = yaml.safe_load((folder / "test.yaml").read_text(encoding="utf-8"))
    where = f"{folder.relative_to(REPO)}/test.yaml"
    assert isinstance(spec, dict) and set(spec) <= CASE_KEYS and {"capture", "expect", "absent"} <= set(spec), (
        f"{where}: keys are {sorted(CASE_KEYS)} (capture, expect and absent required)")
    assert (folder / "README.md").is_file(), f"{folder.relative_to(REPO)}/README.md: say what the case shows"
    assert spec["capture"] != "crafted" or (folder / "packets.py").is_file(), f"{where}: crafted needs packets.py"
    absent = spec["absent"] if spec["absent"] == "all" else tuple(spec["absent"])
    assert not spec.get("allow") or absent == "all", f"{where}: allow goes with absent: all"
    return Case(folder.name, folder, spec["capture"], tuple(spec["expect"]), absent, tuple(spec.get("allow") or ()),
                tuple(spec.get("home-net") or ()), tuple(spec.get("skip") or ()))


def load_cases() -> list[Case]:
    return [load_case(test_yaml.parent) for test_yaml in sorted(CASES_DIR.glob("*/test.yaml"))]


def expand(case: Case) -> list[tuple[str, Case]]:
    """(test id, case) per capture; a capture ending in "*" (shared:benign/*, scenario:benign_*) stands for every
    capture it matches."""
    kind, _, name = case.capture.partition(":")
    if not name.endswith("*"):
        return [(case.name, case)]
    if kind == "shared":
        found = [f"shared:{p.parent.name}/{p.name}" for p in shared_captures(name.split("/")[0])
                 if p.match(name.split("/", 1)[1]) and p.name not in case.skip]
    else:
        found = [f"scenario:{p.name}" for p in sorted(SCENARIOS.glob(name)) if p.name not in case.skip]
    return [(f"{case.name}:{capture.partition(':')[2]}", dataclasses.replace(case, capture=capture))
            for capture in found]


def crafted_packets(case: Case) -> list[Packet]:
    """The case's packets.py, imported from its folder (it builds with tests/suricata/craft.py)."""
    if str(SURICATA_TESTS) not in sys.path:
        sys.path.insert(0, str(SURICATA_TESTS))
    spec = importlib.util.spec_from_file_location(f"suricata_case_{case.name.replace('-', '_')}",
                                                  case.folder / "packets.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    from craft import stamp  # noqa: PLC0415 (tests/suricata is on the path only now)
    return stamp(module.packets())


CASE_PARAMS = [pytest.param(case, id=test_id) for raw in load_cases() for test_id, case in expand(raw)]


class SuricataRunner:
    """Runs Suricata (through pcap_analyzer.sources.suricata) once per capture and remembers the alerts."""

    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        self.cfg = load_config()
        self.cache: dict[tuple[str, tuple[str, ...]], list[dict[str, Any]]] = {}

    def capture_path(self, case: Case) -> Path:
        kind, _, name = case.capture.partition(":")
        if kind == "scenario":
            path = SCENARIOS / name
        elif kind == "shared":
            path = SHARED_PCAPS / name
        elif kind == "crafted":
            path = self.workdir / f"crafted-{case.name}.pcap"
            if not path.exists():
                wrpcap(str(path), crafted_packets(case))
        else:
            raise ValueError(f"{case.folder}/test.yaml: unknown capture kind in {case.capture}")
        if not path.is_file():
            pytest.skip(f"{path} is not present")
        return path

    def alerts(self, case: Case) -> list[dict[str, Any]]:
        key = (case.capture if case.capture != "crafted" else f"crafted:{case.name}", case.home_net)
        if key not in self.cache:
            capture = self.capture_path(case)
            outdir = self.workdir / f"run-{len(self.cache):03d}"
            home = HomeNet(list(case.home_net)) if case.home_net else None
            self.cache[key] = suricata.read_eve(suricata.run_suricata([capture], outdir, self.cfg, home))
        return self.cache[key]


@pytest.fixture(scope="session")
def runner(tmp_path_factory: pytest.TempPathFactory) -> SuricataRunner:
    if not suricata.available():
        pytest.skip(NO_SURICATA)
    return SuricataRunner(tmp_path_factory.mktemp("suricata"))


@pytest.fixture(scope="session")
def engine_rules(tmp_path_factory: pytest.TempPathFactory) -> list[dict[str, Any]]:
    """Suricata's own parse of the ruleset (engine analysis rules.json): sid, msg and flags such as noalert."""
    if not suricata.available():
        pytest.skip(NO_SURICATA)
    outdir = tmp_path_factory.mktemp("engine-analysis")
    done = subprocess.run([*suricata.base_command(load_config()), "--engine-analysis", "--set",
                           "engine-analysis.rules=yes", "-l", str(outdir)],
                          capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    return [json.loads(line) for line in (outdir / "rules.json").read_text().splitlines() if line.strip()]


# ---- the ruleset loads and passes suricata-check -------------------------------------------------------------

@needs_suricata
def test_ruleset_loads_with_our_yaml(tmp_path: Path) -> None:
    done = subprocess.run([*suricata.base_command(load_config()), "-T", "-l", str(tmp_path)],
                          capture_output=True, text=True, timeout=120, check=False, cwd=tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    assert not [line for line in (done.stdout + done.stderr).splitlines() if line.startswith(("E:", "W:"))]


@needs_suricata
@pytest.mark.skipif(not Path("/etc/suricata/suricata.yaml").is_file(), reason="no stock /etc/suricata/suricata.yaml")
def test_ruleset_loads_with_stock_yaml(tmp_path: Path) -> None:
    """The rules use only standard variables and find their dataset beside them: they load into any Suricata 7."""
    done = subprocess.run(["suricata", "-T", "-c", "/etc/suricata/suricata.yaml", "-S", str(suricata.rules_path()),
                           "--init-errors-fatal", "-l", str(tmp_path)],
                          capture_output=True, text=True, timeout=120, check=False, cwd=tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr


def test_sids_in_documented_block(engine_rules: list[dict[str, Any]]) -> None:
    sids = [rule["id"] for rule in engine_rules]
    assert len(sids) == len(set(sids)) >= 20
    assert all(sid in SID_BLOCK for sid in sids)
    assert sorted(sids) == sorted(r.sid for r in rulefile.rules()), "Suricata parses every rule the file holds"
    assert {r["id"]: r["msg"] for r in engine_rules} == {r.sid: r.msg for r in rulefile.rules()}


# ---- one closed set of msg categories (pcap_analyzer/data/indicators.toml [rule_categories]) -----------------

MSG = re.compile(r"FALLBACK-HUNT (?P<category>\S+) (?P<protocol>[A-Z0-9]+) \S.*")
CATEGORIES_AT = "pcap_analyzer/data/indicators.toml [rule_categories]"


def category_of(msg: str) -> str:
    found = MSG.fullmatch(msg)
    return found.group("category") if found else ""


def category_problems(rules: list[rulefile.Rule]) -> list[str]:
    """What breaks the closed set of categories, one line per rule naming its SID and the file to edit."""
    categories = registry.rule_categories()
    out = []
    for rule in rules:
        category = category_of(rule.msg)
        where = f"SID {rule.sid} in {rulefile.RULES_REL}"
        if category not in categories:
            out.append(f"{where}: msg \"{rule.msg}\" must read \"FALLBACK-HUNT <CATEGORY> <PROTOCOL> ...\" with a "
                       f"category of {list(categories)} (edit the msg, or add the category to {CATEGORIES_AT})")
        elif rule.classtype not in categories[category].classtypes:
            out.append(f"{where}: classtype {rule.classtype} is not one of {category}'s "
                       f"{sorted(categories[category].classtypes)} (edit the rule, or {CATEGORIES_AT})")
        elif (category == "POLICY") == bool(rule.indicator):
            out.append(f"{where}: a POLICY rule names a tool class (metadata tool_class) and no fallback_indicator; "
                       f"every other rule names its fallback_indicator")
    return out


def test_every_msg_has_a_category_of_the_registry() -> None:
    problems = category_problems(rulefile.rules())
    assert not problems, "\n".join(problems)
    used = {category_of(r.msg) for r in rulefile.rules()}
    assert used == set(registry.rule_categories()), "every category is used (drop an unused one from the registry)"


def test_a_msg_outside_the_categories_names_its_sid_and_file() -> None:
    good = next(r for r in rulefile.rules() if r.sid == 1008020)
    bad = [rulefile.parse_line(good.text.replace("FALLBACK-HUNT NONSTANDARD_PORT", "FALLBACK-HUNT HUNTING")),
           rulefile.parse_line(good.text.replace("FALLBACK-HUNT NONSTANDARD_PORT TLS", "FALLBACK-HUNT TLS")),
           rulefile.parse_line(good.text.replace("classtype:bad-unknown", "classtype:policy-violation")),
           rulefile.parse_line(good.text.replace("FALLBACK-HUNT NONSTANDARD_PORT", "FALLBACK-HUNT POLICY")
                               .replace("classtype:bad-unknown", "classtype:policy-violation"))]
    found = category_problems(bad)
    assert len(found) == 4
    assert all(line.startswith("SID 1008020 in suricata_rules/fallback-channels.rules: ") for line in found)
    assert "'HUNTING'" not in found[0] and "category of ['INFO'" in found[0] and CATEGORIES_AT in found[0]
    assert "classtype policy-violation is not one of NONSTANDARD_PORT's" in found[2]
    assert "POLICY rule names a tool class" in found[3]


def test_every_alerting_rule_has_a_positive_case(engine_rules: list[dict[str, Any]]) -> None:
    alerting = {rule["id"] for rule in engine_rules if "noalert" not in rule["flags"]}
    expected = {sid for case in load_cases() for sid in case.expect}
    assert alerting - expected == set(), "rules without a positive case (add a folder under tests/suricata/cases/)"
    assert expected - alerting == set(), "cases expect SIDs that are not alerting rules"


def test_every_case_folder_is_complete() -> None:
    """Each folder has test.yaml and a README line; a crafted one its packets.py; names are unique per folder."""
    cases = load_cases()
    assert len(cases) >= 50 and len({c.name for c in cases}) == len(cases)
    assert sorted(p.name for p in CASES_DIR.iterdir() if p.is_dir()) == [c.name for c in cases], (
        "a folder under tests/suricata/cases/ without test.yaml")
    for case in cases:
        assert case.about and len(case.about.splitlines()) == 1, f"{case.folder}/README.md: one line"
        assert case.capture.partition(":")[0] in ("scenario", "shared", "crafted"), f"{case.folder}/test.yaml"
        assert set(case.allow) <= set(registry.rule_categories()), f"{case.folder}/test.yaml: allow"
    own = {c.capture.rpartition("/")[2] for c in cases}
    for case in cases:  # a capture left out of a pattern has a case of its own
        assert set(case.skip) <= own, f"{case.folder}/test.yaml: skip {sorted(set(case.skip) - own)} has no case"


def _suricata_check() -> str:
    found = shutil.which("suricata-check") or str(Path(sys.executable).with_name("suricata-check"))
    if not Path(found).is_file():
        pytest.skip("suricata-check is not installed")
    return found


def test_suricata_check_reports_no_issue_above_info(tmp_path: Path, engine_rules: list[dict[str, Any]]) -> None:
    """suricata-check with every checker enabled (-a), reporting WARNING and above: nothing for any rule."""
    done = subprocess.run([_suricata_check(), "-r", str(suricata.rules_path()), "-o", str(tmp_path), "-a",
                           "--issue-severity", "WARNING", "--log-level", "ERROR"],
                          capture_output=True, text=True, timeout=120, check=False, env={**os.environ, "NO_COLOR": "1"})
    assert done.returncode == 0, done.stdout + done.stderr
    checked = [json.loads(line) for line in (tmp_path / "suricata-check.jsonl").read_text().splitlines() if line.strip()]
    assert len(checked) == len(engine_rules), "suricata-check did not check every rule"
    issues = {re.search(r"sid:(\d+);", item["rule"]).group(1): item["issues"] for item in checked if item["issues"]}
    assert issues == {}


def test_dyndns_dataset_is_the_feed() -> None:
    """dyndns-providers.lst (Suricata string dataset: base64 per line) holds every zone of feeds/dyndns_zones.txt of
    two or three labels (1008010/1008011 look up a name's last two labels, 1008019 its last three), except the
    zones under another listed zone; its first line decodes to the "generated" notice (no comments in datasets)."""
    feed = [e.value for e in feeds.parse((REPO / "feeds" / "dyndns_zones.txt").read_text(), "dyndns_zones.txt")]
    notice, *encoded = [base64.b64decode(line).decode() for line in (RULES_DIR / "dyndns-providers.lst").read_text().split()]
    assert notice.startswith("# generated by make feeds")
    assert all(2 <= len(zone.split(".")) <= 3 for zone in encoded)
    covered = {z for z in feed if any(z.endswith("." + parent) for parent in feed)}
    assert covered == {"freedns.afraid.org"}  # afraid.org is listed
    assert encoded == [z for z in feed if z not in covered]
    assert {"afraid.org", "synology.me", "myqnapcloud.com", "ddns.com.br", "dyn.addr.tools"} <= set(encoded)


def _header_ports(sid: int) -> str:
    rule = next(r for r in rulefile.rules() if r.sid == sid)
    return rule.text.split(" (", 1)[0].split()[-1]


def test_tls_port_lists_are_the_app_knowledge() -> None:
    """make feeds writes 1008020's and 1008023's ports from service_ports.toml and the default config: customary
    TLS ports (implicit TLS, STARTTLS, push, a backup vendor's 4287), VPN / remote-access / P2P ports (POLICY's) and
    vendor ports that need the vendor's names are out of 1008020; 1008023 holds the last ones."""
    generic, vendor = _header_ports(1008020), _header_ports(1008023)
    assert generic.startswith("![") and vendor.startswith("[")
    spans = [tuple(int(p) for p in s.split(":")) for s in re.findall(r"\d+(?::\d+)?", generic)]
    listed = {port for port in range(1, 65536) if any(s[0] <= port <= s[-1] for s in spans)}
    assert {443, 465, 587, 993, 5223, 4287, 8443, 7070, 1194, 8080, 27038} <= listed
    assert not {22, 80, 4444, 9443} & listed  # SSH's port, HTTP's, and odd ones stay TLS on a port not TLS's
    assert set(re.findall(r"\d+(?::\d+)?", vendor)) == {"5060", "5795:5847", "8080", "27015:27050"}
    names = [base64.b64decode(line).decode() for line in (RULES_DIR / "app-vendor-domains.lst").read_text().split()]
    assert names[0].startswith("# generated by make feeds") and {"speedtest.net", "steampowered.com"} <= set(names)


# ---- the cases ----------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("case", CASE_PARAMS)
def test_case(case: Case, runner: SuricataRunner) -> None:
    alerts = runner.alerts(case)
    fired = {alert["alert"]["signature_id"] for alert in alerts}
    assert set(case.expect) <= fired, f"{case.about}\nmissing {sorted(set(case.expect) - fired)}; fired {sorted(fired)}"
    if case.absent == "all":
        unexpected = {a["alert"]["signature_id"] for a in alerts
                      if category_of(a["alert"]["signature"]) not in case.allow}
        assert unexpected == set(), f"{case.about}\nalerts on a capture that must stay silent: {sorted(unexpected)}"
    else:
        assert fired.isdisjoint(case.absent), f"{case.about}\nunexpected {sorted(fired & set(case.absent))}"
    for alert in alerts:  # what Suricata itself parsed out of each rule that fired
        meta = alert["alert"]["metadata"]
        category = category_of(alert["alert"]["signature"])
        assert alert["alert"]["signature_id"] in SID_BLOCK
        assert category in registry.rule_categories()
        if category == "POLICY":  # a tool class, a policy question: no indicator type, never a C2 classtype
            assert meta["tool_class"][0] in POLICY_TOOL_CLASSES and "fallback_indicator" not in meta
            assert alert["alert"]["category"] == "Potential Corporate Privacy Violation"
        else:
            assert meta["fallback_indicator"][0] in INDICATOR_TYPES
            assert meta["mitre_tactic_id"] == ["TA0011"]
            assert re.fullmatch(r"T1\d{3}", meta["mitre_technique_id"][0])
        assert meta["signature_severity"][0] in ET_SEVERITIES
        assert meta["created_at"] and meta["updated_at"]
        assert alert["community_id"].startswith("1:")
