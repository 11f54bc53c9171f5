"""Deploying at the edge: the ruleset as a suricata-update source (real suricata-update, then real Suricata on a
capture with the rules it wrote), and the systemd unit's command line as the CLI parses it."""
from __future__ import annotations

import configparser
import json
import shlex
import shutil
import subprocess
from pathlib import Path

import pytest

from conftest import REPO, SCENARIOS
from pcap_analyzer.cli import build_parser

RULES = REPO / "suricata_rules"


@pytest.mark.suricata
def test_suricata_update_takes_the_ruleset_as_a_local_source(tmp_path: Path) -> None:
    if shutil.which("suricata-update") is None or shutil.which("suricata") is None:
        pytest.skip("suricata-update / suricata not installed (make test installs them)")
    subprocess.run(["make", "-s", "-C", str(REPO), "rules-dist", f"DIST={tmp_path}"], check=True,
                   capture_output=True)
    dist = tmp_path / "fallback-hunt-rules.tar.gz"
    (tmp_path / "update.yaml").write_text("sources: []\n")
    (tmp_path / "disable.conf").write_text("re:sid:[0-9]+\n")  # only our rules enabled (not Suricata's own)
    (tmp_path / "enable.conf").write_text("re:fallback_indicator\nre:tool_class\n")  # POLICY rules name a tool class
    base = ["suricata-update", "-D", str(tmp_path / "data"), "-c", str(tmp_path / "update.yaml")]
    subprocess.run([*base, "add-source", "fallback-hunt", f"file://{dist}"], check=True, capture_output=True)
    out = tmp_path / "rules"
    proc = subprocess.run([*base, "--suricata-conf", str(RULES / "suricata.yaml"), "--disable-conf",
                           str(tmp_path / "disable.conf"), "--enable-conf", str(tmp_path / "enable.conf"),
                           "--no-reload", "--no-test", "-o", str(out)], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    written = (out / "suricata.rules").read_text()
    ours = [ln for ln in written.splitlines()
            if ln.startswith("alert") and ("fallback_indicator" in ln or "tool_class" in ln)]
    shipped = [ln for ln in (RULES / "fallback-channels.rules").read_text().splitlines() if ln.startswith("alert")]
    assert len(ours) == len(shipped)
    assert any(p.is_file() for p in (out / "datasets").iterdir()), "the dataset file came along"

    log = tmp_path / "log"
    log.mkdir()
    run = subprocess.run(["suricata", "-c", str(RULES / "suricata.yaml"), "-S", str(out / "suricata.rules"),
                          "--set", f"default-rule-path={out}", "--set",
                          f"classification-file={out / 'classification.config'}", "--set",
                          f"reference-config-file={RULES / 'reference.config'}", "-l", str(log),
                          "-r", str(SCENARIOS / "fallback_dyndns_a.pcap")], capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    sids = {json.loads(ln)["alert"]["signature_id"] for ln in (log / "eve.json").read_text().splitlines()
            if '"event_type":"alert"' in ln}
    assert 1008010 in sids  # the dynamic-DNS rule: its dataset loaded from where suricata-update put it


def test_the_systemd_unit_runs_a_command_the_cli_accepts() -> None:
    unit = configparser.ConfigParser(strict=False, interpolation=None)
    unit.read(REPO / "deploy" / "fallback-hunt-watch.service")
    command = shlex.split(unit["Service"]["ExecStart"])
    assert command[0].endswith("/fallback-hunt")
    args = build_parser().parse_args(command[1:])
    assert args.command == "watch" and args.events is not None and args.state is not None
    assert unit["Service"]["KillSignal"] == "SIGTERM"
    writable = unit["Service"]["ReadWritePaths"].split()
    assert all(any(str(p).startswith(w) for w in writable) for p in (args.events, args.state))
