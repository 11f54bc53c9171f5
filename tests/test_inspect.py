"""`fallback-hunt inspect` on shared captures, checked against tshark's own fields for the same packets."""
from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from clirun import assert_one_error_line, run_cli
from conftest import SHARED_PCAPS
from pcap_analyzer.config import default_config
from pcap_analyzer.pipeline import read_flows

pytestmark = pytest.mark.skipif(shutil.which("tshark") is None, reason="tshark not installed (make test installs it)")


def _capture(kind: str, name: str) -> Path:
    path = SHARED_PCAPS / kind / name
    if not path.is_file():
        pytest.skip(f"{path} is not present")
    return path


def _tshark_fields(capture: Path, display_filter: str, *fields: str, decode: str = "") -> list[list[str]]:
    cmd = ["tshark", "-r", str(capture), "-Y", display_filter, "-T", "fields", *(a for f in fields for a in ("-e", f))]
    if decode:
        cmd += ["-d", decode]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    return [line.split("\t") for line in out.splitlines() if line.strip()]


def _flow(capture: Path, **want):
    flows = read_flows([capture], default_config())[1]
    return next(f for f in flows if all(getattr(f, k) == v for k, v in want.items()))


def _inspect(*args) -> str:
    proc = run_cli("inspect", *args)
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stdout + proc.stderr
    return proc.stdout


def test_tls_off_its_port_is_dissected_as_tls_and_only_the_cut_goes_to_tshark(tmp_path: Path) -> None:
    capture = _capture("malicious", "ndpi-tls_port_80.pcapng")
    flow = _flow(capture, service="tls", resp_p=80)
    out = _inspect(capture, "--community-id", flow.community_id, "--html", tmp_path / "dive.html")
    packets = flow.orig_pkts + flow.resp_pkts
    assert f"tshark read {packets} cut packet(s)" in out
    (ja3,), = _tshark_fields(capture, "tls.handshake.type == 1", "tls.handshake.ja3", decode="tcp.port==80,tls")
    assert f"tls.handshake.ja3: {ja3}" in out  # dissected as TLS although the port says HTTP
    assert "block entropy" in out and f"payload client -> server ({len(flow.orig_sample) or flow.orig_bytes}" in out
    page = (tmp_path / "dive.html").read_text()
    assert 'id="flow-1"' in page and "Content-Security-Policy" in page and "<script" not in page.lower()


def test_certificates_match_tshark(tmp_path: Path) -> None:
    capture = _capture("benign", "zeek-tls-ssl.v3.pcap")
    flow = _flow(capture, service="tls")
    out = _inspect(capture, "--community-id", flow.community_id)
    times = [t for row in _tshark_fields(capture, "tls.handshake.certificate", "x509af.utcTime") for t in
             row[0].split(",")]
    assert times and f"valid: {times[0]} .. {times[1]}" in out
    strings = ("x509sat.printableString", "x509sat.teletexString", "x509sat.uTF8String", "x509sat.IA5String")
    names = {v for row in _tshark_fields(capture, "tls.handshake.certificate", *strings) for col in row
             for v in col.split(",") if len(v) > 3}
    subjects = [ln.split("subject: ", 1)[1] for ln in out.splitlines() if "subject: " in ln]
    common_name = subjects[0].split("id-at-commonName=", 1)[1].split(",", 1)[0]
    assert common_name in names


def test_dns_fields_of_a_host_indicator_match_tshark() -> None:
    capture = _capture("malicious", "ndpi-dns-tunnel-iodine.pcap")
    out = _inspect(capture, "--host", "10.0.2.30", "--indicator", "dns_tunnel", "--max-flows", "1")
    shown = {ln.split("dns.qry.name: ", 1)[1] for ln in out.splitlines() if "dns.qry.name: " in ln}
    theirs = {row[0] for row in _tshark_fields(capture, "dns", "dns.qry.name")}
    plain = {name for name in shown if name.isascii() and "\\x" not in name}  # tshark and we escape bytes apart
    assert len(plain) >= 3 and plain <= theirs


def test_http_headers_match_tshark() -> None:
    capture = _capture("benign", "zeek-http-bro.org.pcap")
    flow = _flow(capture, service="http")
    out = _inspect(capture, "--community-id", flow.community_id)
    (host, agent), *_ = _tshark_fields(capture, f"http.request && tcp.srcport == {flow.orig_p}", "http.host",
                                       "http.user_agent")
    assert f"http.host: {host}" in out and f"http.user_agent: {agent}" in out


def test_without_tshark_one_line_says_how_to_install_it(tmp_path: Path) -> None:
    capture = _capture("malicious", "ndpi-tls_port_80.pcapng")
    env = {**os.environ, "PATH": str(tmp_path)}
    line = assert_one_error_line(run_cli("inspect", capture, "--community-id", "1:x", env=env))
    assert "apt-get install tshark" in line


def test_a_selection_that_matches_nothing_is_one_line() -> None:
    capture = _capture("malicious", "ndpi-tls_port_80.pcapng")
    assert "no flow matches" in assert_one_error_line(run_cli("inspect", capture, "--community-id", "1:nothing"))
    assert "needs --community-id" in assert_one_error_line(run_cli("inspect", capture))


def test_the_report_shows_the_exact_inspect_command_of_each_indicator(tmp_path: Path) -> None:
    import html as htmllib
    import json
    import shlex

    capture = _capture("malicious", "ndpi-tls_port_80.pcapng")
    out = tmp_path / "report"
    proc = run_cli("analyze", capture, "-o", out, "--quiet")
    assert proc.returncode in (0, 1), proc.stderr
    report = json.loads((out / "report.json").read_text())
    cid = next(i["community_id"] for h in report["hosts"] for i in h["indicators"] if i["community_id"])
    page = htmllib.unescape((out / "report.html").read_text())
    shown = [ln.split("<code>", 1)[1].split("</code>", 1)[0] for ln in page.split("deep dive:")[1:]]
    command = next(c for c in shown if cid in c)
    argv = shlex.split(command)
    assert argv[:2] == ["fallback-hunt", "inspect"]
    dive = run_cli(*argv[1:])  # the command, run as shown, works
    assert dive.returncode == 0 and f"community_id {cid}" in dive.stdout
