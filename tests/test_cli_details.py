"""CLI details of issue 10: --help with exit codes and examples, --exit-zero, a directory of captures, an empty
capture as a visible warning."""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from clirun import assert_one_error_line, run_cli
from conftest import SCENARIOS, SHARED_PCAPS

DEMO = SCENARIOS / "demo_office.pcap"


def test_help_gives_exit_codes_and_three_examples() -> None:
    for args in (["--help"], ["analyze", "--help"]):
        proc = run_cli(*args)
        assert proc.returncode == 0
        text = proc.stdout
        assert "exit codes:" in text and "0  nothing escalated" in text and "1  at least one host escalated" in text
        assert "2  error" in text
        tail = text.split("examples:")[1].splitlines()
        examples = [line for line in tail if line.strip().startswith("fallback-hunt")]
        assert len(examples) == 3 and any(" contain " in e for e in examples)
    assert "--sid-base" in run_cli("contain", "--help").stdout


def test_exit_zero_turns_an_escalation_into_exit_0_but_not_an_error(tmp_path: Path) -> None:
    if not DEMO.is_file():
        pytest.skip("no demo_office.pcap")
    assert run_cli("analyze", DEMO, "-o", tmp_path / "a", "-q").returncode == 1
    assert run_cli("analyze", DEMO, "-o", tmp_path / "b", "-q", "--exit-zero").returncode == 0
    assert json.loads((tmp_path / "b" / "report.json").read_text())["summary"]["escalate"] == 1
    assert_one_error_line(run_cli("analyze", tmp_path / "missing.pcap", "-o", tmp_path / "c", "--exit-zero"))


def test_a_directory_means_the_captures_inside_it_sorted(tmp_path: Path) -> None:
    names = ["fallback_port_b.pcap", "benign_vpn_udp_a.pcap", "demo_office.pcap"]
    if not all((SCENARIOS / n).is_file() for n in names):
        pytest.skip("scenario captures missing")
    folder = tmp_path / "caps"
    folder.mkdir()
    for name in names:
        shutil.copy(SCENARIOS / name, folder / name)
    (folder / ".hidden").write_text("not a capture")
    (folder / "README.md").write_text("notes about these captures\n")
    proc = run_cli("analyze", folder, "-o", tmp_path / "out", "-q")
    assert proc.returncode == 1, proc.stderr
    report = json.loads((tmp_path / "out" / "report.json").read_text())
    assert [Path(i["path"]).name for i in report["inputs"]] == sorted(names)
    empty = tmp_path / "empty"
    empty.mkdir()
    (empty / "notes.txt").write_text("no capture here\n")
    assert "holds no pcap, pcapng or gzip file" in assert_one_error_line(run_cli("analyze", empty, "-o",
                                                                                 tmp_path / "o2"))


def test_a_capture_with_no_packets_is_a_visible_warning(tmp_path: Path) -> None:
    capture = SHARED_PCAPS / "malformed" / "header-only.pcap"
    if not capture.is_file():
        pytest.skip("../shared/pcaps is not present")
    proc = run_cli("analyze", capture, "-o", tmp_path / "out")
    assert proc.returncode == 0
    assert f"warning: {capture}: the capture holds no packets" in proc.stdout
    report = json.loads((tmp_path / "out" / "report.json").read_text())
    assert report["inputs"][0]["packets"] == 0 and report["inputs"][0]["warnings"] == ["the capture holds no packets"]
