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

from conftest import REPO
from pcap_analyzer.model import INDICATOR_TYPES
from pcap_analyzer.report.zeeklog import FIELDS

ZEEK_SCRIPT = Path(sys.executable).with_name("zeek-script")
SCRIPTS = REPO / "zeek_scripts"
BTEST_DIR = REPO / "tests" / "zeek"
ALL_ZEEK = sorted([*SCRIPTS.rglob("*.zeek"), *(p for p in BTEST_DIR.rglob("*.zeek") if ".tmp" not in p.parts)])
PACKAGE = {p.name: p.read_text() for p in sorted(SCRIPTS.glob("*.zeek"))}
ZEEK_ONLY_IN_ANALYZER = {"beaconing", "baseline_deviation"}  # indicators the Zeek package leaves to the analyzer

#: Tables that are filled from an operator's file by the Input framework (never from traffic), so need no expiry.
INPUT_TABLES = {"dyndns_suffixes"}


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


def test_every_indicator_has_a_detector_and_a_notice_type() -> None:
    text = "".join(PACKAGE.values())
    emitted = set(re.findall(r'\$indicator="(\w+)"', text))
    assert emitted == set(INDICATOR_TYPES) - ZEEK_ONLY_IN_ANALYZER
    notices = re.search(r"redef enum Notice::Type \+= \{(.*?)\};", PACKAGE["main.zeek"], re.S)
    assert notices
    names = {n.lower() for n in re.findall(r"^\t\t(\w+),", notices.group(1), re.M)}
    assert names == emitted
    pairs = re.findall(r'\$indicator="(\w+)",\s*\$note=(\w+)', text)
    assert {i for i, _ in pairs} == emitted
    assert all(note.lower() == indicator for indicator, note in pairs)


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


def test_cluster_aware_and_standalone() -> None:
    text = "".join(PACKAGE.values())
    assert text.count("Cluster::publish_hrw(Cluster::proxy_pool") >= 3
    assert text.count("@if ( Cluster::is_enabled() )") == text.count("Cluster::publish_hrw(")
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


def test_btest_baselines_cover_every_scenario_of_the_labels() -> None:
    import json

    labels = json.loads((REPO / "pcaps" / "labels.json").read_text())["captures"]
    baselines = {p.name for p in (BTEST_DIR / "Baseline").glob("tests.scenarios.*/*.out")}
    assert baselines == {c.replace(".pcap", ".out") for c in labels}


@pytest.mark.skipif(shutil.which("zeek") is None, reason="zeek not installed")
@pytest.mark.skipif(shutil.which("btest") is None and not Path(sys.executable).with_name("btest").exists(),
                    reason="btest not installed")
def test_btest_suite_with_real_zeek() -> None:
    btest = shutil.which("btest") or str(Path(sys.executable).with_name("btest"))
    # btest-diff and the other btest helpers sit beside btest (the venv's bin/ when it is not on PATH).
    env = {**os.environ, "PATH": os.pathsep.join([str(Path(btest).parent), os.environ.get("PATH", "")])}
    result = subprocess.run([btest, "-d"], cwd=BTEST_DIR, capture_output=True, text=True, timeout=1800, env=env)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
