"""The Zeek package (zeek_scripts/) without Zeek: every script parses (zeekscript), is formatted, keeps the
package's contracts (fallback.log columns, indicator names, notices, bounded state), and the btest suite runs
when a real `zeek` is on PATH."""
from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import REPO, SHARED_PCAPS
from pcap_analyzer import registry
from pcap_analyzer.model import INDICATOR_TYPES
from pcap_analyzer.report.fallback_log import FIELDS

ZEEK_SCRIPT = Path(sys.executable).with_name("zeek-script")
SCRIPTS = REPO / "zeek_scripts"
BTEST_DIR = REPO / "tests" / "zeek"
ALL_ZEEK = sorted([*SCRIPTS.rglob("*.zeek"), *(p for p in BTEST_DIR.rglob("*.zeek") if ".tmp" not in p.parts)])
PACKAGE = {p.name: p.read_text() for p in sorted(SCRIPTS.glob("*.zeek"))}
#: the indicators the Zeek package leaves to the analyzer, and the notice of each other one (the registry's)
ZEEK_NOTICES = registry.zeek_notices()
ZEEK_ONLY_IN_ANALYZER = set(INDICATOR_TYPES) - set(ZEEK_NOTICES)

#: Tables that are filled from an operator's file by the Input framework (never from traffic), so need no expiry;
#: and the names of the tables whose first read is pending (tables.zeek: one entry per table of the package).
INPUT_TABLES = {"dyndns_suffixes", "doh_resolver_entries", "app_port_ranges", "first_reads"}


def parse_errors(path: Path) -> list[str]:
    """Lines of zeek-script's parse tree that carry an [error] node (empty when the script parses cleanly)."""
    result = subprocess.run([str(ZEEK_SCRIPT), "parse", str(path)], capture_output=True, text=True, timeout=60)
    errors = [line.strip() for line in result.stdout.splitlines() if "[error" in line]
    if result.returncode != 0 and not errors:
        errors = [result.stderr.strip() or f"zeek-script exited {result.returncode}"]
    return errors


def test_zeek_script_is_installed() -> None:
    assert ZEEK_SCRIPT.exists(), "zeekscript (zeek-script) must be installed in the venv"
    assert len(ALL_ZEEK) >= 10


@pytest.mark.parametrize("path", ALL_ZEEK, ids=lambda p: str(p.relative_to(REPO)))
def test_every_zeek_file_parses_without_error_nodes(path: Path) -> None:
    assert parse_errors(path) == []


@pytest.mark.parametrize("snippet", [
    "event zeek_init()\n\t{\n\tlocal x = ;\n\t}\n",
    "event zeek_init( {\n",
    "module M;\nexport {\n\toption x: count = 1\n}\n",
])
def test_parse_check_catches_broken_scripts(tmp_path: Path, snippet: str) -> None:
    broken = tmp_path / "broken.zeek"
    broken.write_text(snippet)
    assert parse_errors(broken) != []


@pytest.mark.parametrize("name", sorted(PACKAGE))
def test_package_scripts_are_zeek_script_formatted(name: str) -> None:
    result = subprocess.run([str(ZEEK_SCRIPT), "format", str(SCRIPTS / name)], capture_output=True, text=True,
                            timeout=60, check=True)
    assert result.stdout == PACKAGE[name], f"run: zeek-script format -i zeek_scripts/{name}"


def test_load_file_loads_main_and_every_script() -> None:
    loads = re.findall(r"^@load \./(\S+)$", PACKAGE["__load__.zeek"], re.M)
    assert loads[0] == "main"
    assert sorted(f"{n}.zeek" for n in loads) == sorted(n for n in PACKAGE if n != "__load__.zeek")


def record_fields(text: str, record: str) -> list[str]:
    body = re.search(rf"type {record}: record \{{(.*?)\n\t\}};", text, re.S)
    assert body, f"record {record} not found"
    return re.findall(r"^\t\t(\w+):", body.group(1), re.M)


def test_log_columns_are_the_analyzers_fallback_log_columns() -> None:
    columns = record_fields(PACKAGE["main.zeek"], "Info")
    expanded = [c for name in columns for c in
                (["id.orig_h", "id.orig_p", "id.resp_h", "id.resp_p"] if name == "id" else [name])]
    assert expanded == [name for name, _ in FIELDS]
    assert 'path="fallback"' in PACKAGE["main.zeek"]


#: A Finding(...) of the package up to its $note (one level of nested calls inside, e.g. community_id(c)).
FINDING_NOTE = re.compile(r"\bFinding\((?:[^()]|\([^()]*\))*?\$note=(\w+)", re.S)


def declared_notices(text: str) -> set[str]:
    """The Notice::Type names a script declares (redef enum Notice::Type += {...})."""
    out: set[str] = set()
    for block in re.findall(r"redef enum Notice::Type \+= \{(.*?)\};", text, re.S):
        out.update(re.findall(r"^\s*(\w+),?\s*$", re.sub(r"##.*", "", block), re.M))
    return out


def test_each_detector_script_declares_the_notice_it_reports() -> None:
    """As in Zeek's policy/ scripts: the notice type lives in the script that raises it, and report() derives the
    indicator name from the notice (FallbackChannels::indicator_name), so no call passes both."""
    emitted: dict[str, str] = {}
    for name, text in PACKAGE.items():
        for note in FINDING_NOTE.findall(text):
            assert note in declared_notices(text), f"{name} reports {note} but does not declare it"
            emitted[note.lower()] = note
    assert "$indicator=" not in "".join(PACKAGE.values()).replace("$indicator=indicator", "")
    assert declared_notices(PACKAGE["main.zeek"]) == set()
    assert set(emitted) == set(INDICATOR_TYPES) - ZEEK_ONLY_IN_ANALYZER
    assert all(ZEEK_NOTICES[indicator] == f"FallbackChannels::{note}" for indicator, note in emitted.items())
    assert "return to_lower(parts[|parts| - 1]);" in PACKAGE["main.zeek"]  # indicator_name: the name, lower case


def test_every_table_and_set_of_the_package_expires() -> None:
    """Hostile traffic cannot grow memory: each global table/set has &create_expire, &read_expire or &write_expire."""
    for name, text in PACKAGE.items():
        for match in re.finditer(r"^global (\w+): ((?:table|set)\[.*?);$", text, re.M | re.S):
            var, rest = match.groups()
            if var in INPUT_TABLES:
                continue
            assert re.search(r"&(create|read|write)_expire=", rest), f"{name}: global {var} never expires"


def test_thresholds_are_runtime_options() -> None:
    text = "".join(PACKAGE.values())
    assert len(re.findall(r"^\toption \w+:", text, re.M)) >= 20
    assert "&redef" not in text
    assert not re.search(r"^\s*const \w+\s*:\s*(count|double|interval)", text, re.M)


def test_community_id_everywhere() -> None:
    text = "".join(PACKAGE.values())
    assert "protocol_confirmation" not in text  # deprecated; analyzer_confirmation_info is used instead
    assert "policy/protocols/conn/community-id-logging" in PACKAGE["main.zeek"]
    assert "policy/frameworks/notice/community-id" in PACKAGE["main.zeek"]


def test_zkg_meta() -> None:
    import configparser

    meta = configparser.ConfigParser()
    meta.read(REPO / "zkg.meta")
    package = meta["package"]
    assert package["script_dir"] == "zeek_scripts"
    assert package["test_command"] == "cd tests/zeek && btest -d"
    assert "zeek >=6.0.0" in package["depends"]
    assert (REPO / package["script_dir"] / "__load__.zeek").exists()
    # The operator-editable lists (each .dat the scripts read) are config_files, so `zkg upgrade` keeps their edits.
    config_files = package["config_files"].split()
    assert sorted(config_files) == sorted(f"zeek_scripts/{p.name}" for p in SCRIPTS.glob("*.dat"))


def test_btest_baselines_cover_every_scenario_of_the_labels() -> None:
    import json

    labels = json.loads((REPO / "pcaps" / "labels.json").read_text())["captures"]
    baselines = {p.name for p in (BTEST_DIR / "Baseline").glob("tests.scenarios.*/*.out")}
    assert baselines == {c.replace(".pcap", ".out") for c in labels}


def btest_name(path: Path) -> str:
    """btest's name of a test file: its path under tests/zeek without the suffix, dots for slashes."""
    return ".".join(path.relative_to(BTEST_DIR).with_suffix("").parts)


def test_every_btest_that_should_pass_has_a_baseline_for_each_diff() -> None:
    """CI has no Zeek: a btest whose baseline was never written (or not copied back after `btest -U`) would only fail
    where Zeek runs. Each btest-diff of a test not marked @TEST-KNOWN-FAILURE has its baseline file."""
    tests = sorted(p for p in (BTEST_DIR / "tests").rglob("*.zeek") if ".tmp" not in p.parts)
    assert {btest_name(p).split(".")[1] for p in tests} >= {"cluster", "options", "package", "scenarios", "shared"}
    missing = []
    for path in tests:
        text = path.read_text()
        if "@TEST-KNOWN-FAILURE" in text:
            continue
        for diffed in re.findall(r"^# @TEST-EXEC: btest-diff (\S+)$", text, re.M):
            if not (BTEST_DIR / "Baseline" / btest_name(path) / diffed.replace("/", ".")).exists():
                missing.append(f"{btest_name(path)}: {diffed}")
    assert missing == [], "run btest -U with a real Zeek, read the output, copy the baselines back"


@pytest.mark.skipif(shutil.which("zeek") is None,
                    reason="zeek is not on PATH: the btest suite (real Zeek 7: scenario baselines, the shared apps and "
                           "benign twins acceptance, option variants, the cluster) is skipped; the zeek-script parse "
                           "and format checks above still run")
@pytest.mark.skipif(shutil.which("btest") is None and not Path(sys.executable).with_name("btest").exists(),
                    reason="btest not installed")
def test_btest_suite_with_real_zeek() -> None:
    btest = shutil.which("btest") or str(Path(sys.executable).with_name("btest"))
    # btest-diff and the other btest helpers sit beside btest (the venv's bin/ when it is not on PATH); the shared
    # captures are where conftest finds them.
    env = {**os.environ, "PATH": os.pathsep.join([str(Path(btest).parent), os.environ.get("PATH", "")]),
           "FALLBACK_SHARED_PCAPS": str(SHARED_PCAPS)}
    result = subprocess.run([btest, "-d", "-j", "2"], cwd=BTEST_DIR, capture_output=True, text=True, timeout=1800,
                            env=env)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]


BENIGN_QUIET = BTEST_DIR / "Scripts" / "benign-quiet"
FALLBACK_HEADER = ("#separator \\x09\n#path\tfallback\n#fields\tts\tuid\tcommunity_id\tid.orig_h\tid.orig_p\t"
                   "id.resp_h\tid.resp_p\tindicator\tprimary\tfallback\tdetail\n")


def run_benign_quiet(tmp_path: Path, rows: list[tuple[str, str]], *labels: str) -> subprocess.CompletedProcess:
    """benign-quiet on a fallback.log holding one line per (originator, indicator) of *rows*."""
    body = "".join(f"1700000000.0\tCx\t-\t{host}\t50000\t198.51.100.9\t443\t{ind}\tp\tf\td\n" for host, ind in rows)
    (tmp_path / "fallback.log").write_text(FALLBACK_HEADER + body)
    return subprocess.run([sys.executable, str(BENIGN_QUIET), str(tmp_path), *labels], capture_output=True,
                          text=True, timeout=60)


def test_benign_quiet_fails_on_a_pairing_line_of_any_host_without_labels(tmp_path: Path) -> None:
    result = run_benign_quiet(tmp_path, [("192.168.2.4", "dynamic_dns"), ("192.168.2.4", "failed_then_fallback")])
    assert result.returncode == 1
    assert result.stdout == "192.168.2.4 failed_then_fallback p -> f\n"
    assert run_benign_quiet(tmp_path, [("192.168.2.4", "nonstandard_port_encrypted")]).returncode == 0
    (tmp_path / "fallback.log").unlink()
    assert subprocess.run([sys.executable, str(BENIGN_QUIET), str(tmp_path)], timeout=60).returncode == 0


@pytest.mark.parametrize("indicator", ["failed_then_fallback", "protocol_switch", "dns_tunnel", "icmp_tunnel"])
def test_benign_quiet_with_labels_judges_only_hosts_not_escalated(tmp_path: Path, indicator: str) -> None:
    labels = str(REPO / "pcaps" / "labels.json")
    # demo_office: 192.168.10.21 is the escalated C2 host, 192.168.10.40 browses the web (benign).
    assert run_benign_quiet(tmp_path, [("192.168.10.21", indicator)], labels, "demo_office.pcap").returncode == 0
    noisy = run_benign_quiet(tmp_path, [("192.168.10.40", indicator)], labels, "demo_office.pcap")
    assert noisy.returncode == 1 and noisy.stdout.startswith(f"192.168.10.40 {indicator} ")


def test_app_ports_come_from_the_analyzers_service_ports_and_name_its_classes() -> None:
    """app-ports.dat (make feeds, from data/service_ports.toml) holds every port range of the analyzer's table, each
    named "<class>: <application>" with a class of the analyzer's [apps] vocabulary; the policy classes of the
    package are the analyzer's."""
    import tomllib

    data = tomllib.loads((REPO / "pcap_analyzer" / "data" / "service_ports.toml").read_text())
    specs = [spec for entry in data["port"] for spec in entry["ports"]]
    rows = [line.split("\t") for line in (SCRIPTS / "app-ports.dat").read_text().splitlines()
            if not line.startswith("#")]
    assert [f"{first.split('/')[1]}/{first.split('/')[0]}" + ("" if first == last else f"-{last.split('/')[0]}")
            for first, last, _, _ in rows] == specs
    apps = tomllib.loads((REPO / "pcap_analyzer" / "data" / "default_config.toml").read_text())["apps"]
    classes = set(apps["classes"].values()) | {e["class"] for e in data["port"] if "class" in e} | {"service"}
    assert {app.split(": ")[0] for _, _, app, _ in rows} <= classes
    assert "app_ports" not in PACKAGE["main.zeek"]  # no hand list beside the generated table
    policy = re.search(r"option policy_app_classes: set\[string\] = \{(.*?)\};",
                       PACKAGE["nonstandard-port-encrypted.zeek"], re.S)
    assert policy and set(re.findall(r'"([^"]+)"', policy.group(1))) == set(apps["policy_classes"])


def test_every_pairing_link_and_new_option_is_documented() -> None:
    doc = (REPO / "docs" / "ZEEK.md").read_text()
    links = set(re.findall(r'add why\["(\w+)"\]', PACKAGE["failed-then-fallback.zeek"]))
    assert links >= {"same_peer", "same_name", "name_lineage", "doh_takeover", "hard_coded_ip",
                     "same_client_fingerprint", "follows_failure", "dynamic_dns", "nonstandard_port", "bare_ip"}
    weights = re.search(r"option link_weights: table\[string\] of double = \{(.*?)\};",
                        PACKAGE["failed-then-fallback.zeek"], re.S)
    assert weights
    import tomllib
    analyzer = tomllib.loads((REPO / "pcap_analyzer" / "data" / "default_config.toml").read_text())
    ffcfg = analyzer["detect"]["failed_fallback"]
    renamed = {"dga_burst": "dga_survivor", "same_client_fingerprint": "fingerprint"}
    for link, weight in re.findall(r'\["(\w+)"\] = ([0-9.]+)', weights.group(1)):
        assert float(weight) == ffcfg["link_weights"][renamed.get(link, link)], link  # the analyzer's weights
    assert f"option strong_link: double = {ffcfg['strong_link']};" in PACKAGE["failed-then-fallback.zeek"]
    for link in links:
        assert f"`{link}`" in doc, link
    for name in re.findall(r"^\toption (\w+):", "".join(PACKAGE.values()), re.M):
        assert name in doc, f"option {name} is not documented in docs/ZEEK.md"


SIGNATURES = (SCRIPTS / "app-signatures.sig").read_text()


def signature_blocks() -> dict[str, str]:
    return dict(re.findall(r"^signature ([\w-]+) \{\n(.*?)^\}", SIGNATURES, re.M | re.S))


def test_app_signatures_are_loaded_silenced_and_name_a_class() -> None:
    blocks = signature_blocks()
    assert "@load-sigs ./app-signatures.sig" in PACKAGE["nonstandard-port-encrypted.zeek"]
    with_event = {name for name, body in blocks.items() if "event " in body}
    silenced = set(re.findall(r'\["(fallback-app-[\w-]+)"\] = Signatures::SIG_IGNORE', PACKAGE["nonstandard-port-encrypted.zeek"]))
    assert with_event and with_event == silenced  # their matches name applications, they raise no alarm
    for name, body in blocks.items():
        assert name.startswith("fallback-app-")
        for other in re.findall(r"requires-reverse-signature ([\w-]+)", body):
            assert other in blocks
        for text in re.findall(r'event "([^"]+)"', body):
            assert text.split(": ")[0] in {"VPN", "remote access", "P2P", "tunnel"}


def zeek_payload_regex(body: str) -> re.Pattern[bytes]:
    """The payload pattern of a signature as a Python bytes regex (the signatures use only \\xNN and classes)."""
    pattern = re.search(r"payload /(.*)/", body).group(1)
    return re.compile(pattern.encode().decode("unicode_escape").encode("latin-1"), re.S)


@pytest.mark.skipif(shutil.which("tshark") is None, reason="tshark not installed")
@pytest.mark.skipif(not (SHARED_PCAPS / "apps" / "ndpi-openvpn.pcap").exists(), reason="shared captures absent")
def test_openvpn_signature_pair_matches_real_openvpn_over_tcp_443() -> None:
    blocks = signature_blocks()
    client = zeek_payload_regex(blocks["fallback-app-openvpn-tcp-client"])
    server = zeek_payload_regex(blocks["fallback-app-openvpn-tcp"])
    out = subprocess.run(["tshark", "-r", str(SHARED_PCAPS / "apps" / "ndpi-openvpn.pcap"), "-Y",
                          "tcp.port == 443 && tcp.len > 0", "-T", "fields", "-e", "tcp.stream", "-e", "tcp.dstport",
                          "-e", "tcp.payload"], capture_output=True, text=True, timeout=120, check=True).stdout
    first: dict[tuple[str, bool], bytes] = {}
    for line in out.splitlines():
        stream, dport, payload = line.split("\t")
        first.setdefault((stream, dport == "443"), bytes.fromhex(payload.replace(":", "")))
    streams = {s for s, _ in first}
    assert len(streams) == 2  # the two OpenVPN sessions that the package reported as unidentified on 443
    for s in streams:
        assert client.match(first[s, True]) and server.match(first[s, False])
        assert not client.match(first[s, False]) and not server.match(first[s, True])
    # TLS on 443 does not look like OpenVPN in either direction.
    hello = bytes.fromhex("16030100f4010000f00303")
    assert not client.match(hello) and not server.match(hello)


def test_scenario_btests_and_baselines_are_the_projection_of_the_labels() -> None:
    """Every scenario of pcaps/labels.json has a btest whose baseline is exactly what a package meeting the labels
    prints (Scripts/label-baselines; `--write` adds the btests of new scenarios)."""
    result = subprocess.run([sys.executable, str(BTEST_DIR / "Scripts" / "label-baselines")], capture_output=True,
                            text=True, timeout=60)
    assert result.returncode == 0, result.stdout


def test_label_baselines_writes_what_is_missing_and_flags_a_wrong_baseline(tmp_path: Path) -> None:
    import json

    suite = tmp_path / "zeek"
    shutil.copytree(BTEST_DIR / "Scripts", suite / "Scripts")
    (suite / "tests" / "scenarios").mkdir(parents=True)
    labels = json.loads((REPO / "pcaps" / "labels.json").read_text())
    labels["captures"] = {k: v for k, v in labels["captures"].items() if k.startswith("demo_office")}
    (tmp_path / "labels.json").write_text(json.dumps(labels))
    script = [sys.executable, str(suite / "Scripts" / "label-baselines"), str(tmp_path / "labels.json")]
    # The copied scripts read the indicator registry's notices from the repository.
    env = {**os.environ, "INDICATOR_REGISTRY": str(REPO / "pcap_analyzer" / "data" / "indicators.toml")}
    assert subprocess.run(script, capture_output=True, timeout=60, env=env).returncode == 1
    assert subprocess.run([*script, "--write"], capture_output=True, timeout=60, env=env).returncode == 0
    written = (suite / "Baseline" / "tests.scenarios.demo_office" / "demo_office.out").read_text()
    assert written == (BTEST_DIR / "Baseline" / "tests.scenarios.demo_office" / "demo_office.out").read_text()
    test_text = (suite / "tests" / "scenarios" / "demo_office.zeek").read_text()
    assert "run-scenario demo_office.pcap" in test_text and "btest-diff demo_office.fallback" in test_text
    # The full columns need a real Zeek run: until that baseline is there, the scenario is not done.
    missing = subprocess.run(script, capture_output=True, text=True, timeout=60, env=env)
    assert missing.returncode == 1 and "no full-column baseline of demo_office.pcap" in missing.stdout
    shutil.copy(BTEST_DIR / "Baseline" / "tests.scenarios.demo_office" / "demo_office.fallback",
                suite / "Baseline" / "tests.scenarios.demo_office")
    assert subprocess.run(script, capture_output=True, timeout=60, env=env).returncode == 0
    (suite / "Baseline" / "tests.scenarios.demo_office" / "demo_office.out").write_text(
        written.replace("fallback.log=no notice.log=no", "fallback.log=yes notice.log=yes", 1))
    wrong = subprocess.run(script, capture_output=True, text=True, timeout=60, env=env)
    assert wrong.returncode == 1 and "differs from the labels" in wrong.stdout


def full_column_problems(lines: list[str]) -> list[str]:
    """label-baselines' verdict on a demo_office.fallback baseline made of *lines* (host, indicator)."""
    from importlib.machinery import SourceFileLoader

    module = SourceFileLoader("label_baselines", str(BTEST_DIR / "Scripts" / "label-baselines")).load_module()
    import json

    hosts = json.loads((REPO / "pcaps" / "labels.json").read_text())["captures"]["demo_office.pcap"]["hosts"]
    text = "### header\n" + "".join(f"1700000000.000000\tCx\t{host}\t{indicator}\tp\tf\td\n"
                                       for host, indicator in (line.split() for line in lines))
    return module.unexpected_lines(text, hosts)


@pytest.mark.parametrize(("line", "why"), [
    ("192.168.10.40 dynamic_dns", "a host labelled benign"),
    ("192.168.10.34 failed_then_fallback", "an indicator the labels forbid for 192.168.10.34"),
    ("192.168.10.21 dns_tunnel", "an indicator the labels do not expect for 192.168.10.21"),
    ("192.168.10.99 failed_then_fallback", "a host the labels do not list"),
])
def test_a_full_column_baseline_line_the_labels_do_not_account_for_is_flagged(line: str, why: str) -> None:
    """A blessed fallback.log line for a benign host (or a forbidden or unexpected indicator, or an unlabelled host)
    fails the structure check, so real Zeek output is never blessed against the labels silently."""
    # What the labels expect, and a per-connection finding on a host they do not call benign (a fact about what
    # one connection carried, which labels need not list).
    expected = ["192.168.10.21 failed_then_fallback", "192.168.10.21 dynamic_dns",
                "192.168.10.34 nonstandard_port_encrypted", "192.168.10.21 protocol_port_mismatch"]
    assert full_column_problems(expected) == []
    problems = full_column_problems([*expected, line])
    assert len(problems) == 1 and problems[0].startswith(why + ":")
