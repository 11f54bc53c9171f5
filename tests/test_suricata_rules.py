"""suricata_rules/ proven in real Suricata 7: the ruleset loads, suricata-check finds nothing to warn about, and
every case in tests/suricata/cases.json alerts (or stays silent) as specified.

One Suricata run per capture, cached for the session; a case lists the SIDs that must alert and those that must not.
Captures come from the scenario corpus (pcaps/), the shared real captures (../shared/pcaps) and, for behaviour
neither corpus has, small captures built here with scapy.
"""
from __future__ import annotations

import base64
import json
import os
import re
import shutil
import struct
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from scapy.all import DNS, DNSQR, ICMP, IP, TCP, UDP, Ether, Packet, Raw, wrpcap

from conftest import REPO, SCENARIOS, SHARED_PCAPS, shared_captures
from pcap_analyzer import feeds
from pcap_analyzer.sources import suricata
from pcap_analyzer.config import load_config
from pcap_analyzer.homenet import HomeNet
from pcap_analyzer.model import INDICATOR_TYPES

pytestmark = pytest.mark.suricata
NO_SURICATA = "the suricata binary is not installed"
needs_suricata = pytest.mark.skipif(not suricata.available(), reason=NO_SURICATA)

CASES_FILE = REPO / "tests" / "suricata" / "cases.json"
RULES_DIR = REPO / "suricata_rules"
SID_BLOCK = range(1008000, 1008100)
ET_SEVERITIES = {"Informational", "Minor", "Major", "Critical"}


# ---- crafted captures (behaviour neither corpus has) ---------------------------------------------------------

CLIENT, SERVER, INTERNAL_SERVER, RESOLVER = "10.77.0.5", "198.51.100.200", "10.77.0.80", "10.77.0.1"


def _stamp(packets: list[Packet], t0: float = 1_700_000_000.0, step: float = 0.01) -> list[Packet]:
    for i, p in enumerate(packets):
        p.time = t0 + i * step
    return packets


def tcp_session(client: str, server: str, sport: int, dport: int, exchanges: list[tuple[bytes, bytes]]
                ) -> list[Packet]:
    """A complete TCP connection: handshake, (request, response) exchanges each acked, FIN teardown."""
    def seg(src: str, dst: str, sp: int, dp: int, flags: str, seq: int, ack: int, data: bytes = b"") -> Packet:
        return Ether() / IP(src=src, dst=dst) / TCP(sport=sp, dport=dp, flags=flags, seq=seq, ack=ack) / Raw(data)

    c_seq, s_seq = 1000, 5000
    out = [seg(client, server, sport, dport, "S", c_seq, 0),
           seg(server, client, dport, sport, "SA", s_seq, c_seq + 1)]
    c_seq, s_seq = c_seq + 1, s_seq + 1
    out.append(seg(client, server, sport, dport, "A", c_seq, s_seq))
    for request, response in exchanges:
        if request:
            out.append(seg(client, server, sport, dport, "PA", c_seq, s_seq, request))
            c_seq += len(request)
            out.append(seg(server, client, dport, sport, "A", s_seq, c_seq))
        if response:
            out.append(seg(server, client, dport, sport, "PA", s_seq, c_seq, response))
            s_seq += len(response)
            out.append(seg(client, server, sport, dport, "A", c_seq, s_seq))
    out += [seg(client, server, sport, dport, "FA", c_seq, s_seq),
            seg(server, client, dport, sport, "FA", s_seq, c_seq + 1),
            seg(client, server, sport, dport, "A", c_seq + 1, s_seq + 1)]
    return out


def client_hello(sni: str) -> bytes:
    """A TLS 1.2-framed ClientHello with SNI and supported_versions (1.3, 1.2)."""
    name = sni.encode()
    sni_ext = struct.pack("!HHHBH", 0, len(name) + 5, len(name) + 3, 0, len(name)) + name
    versions = struct.pack("!HHB", 43, 5, 4) + b"\x03\x04\x03\x03"
    extensions = sni_ext + versions
    body = (b"\x03\x03" + bytes(32) + b"\x00" + struct.pack("!H", 4) + b"\x13\x01\xc0\x2f" + b"\x01\x00"
            + struct.pack("!H", len(extensions)) + extensions)
    handshake = b"\x01" + len(body).to_bytes(3, "big") + body
    return b"\x16\x03\x01" + struct.pack("!H", len(handshake)) + handshake


def dns_query(src: str, sport: int, name: str, qtype: str = "A") -> Packet:
    return Ether() / IP(src=src, dst=RESOLVER) / UDP(sport=sport, dport=53) / DNS(id=sport, rd=1, qd=DNSQR(qname=name, qtype=qtype))


def crafted_udp53_non_dns() -> list[Packet]:
    """Random bytes both ways on 53/udp to an external host: not DNS."""
    blobs = [bytes((i * 37 + j * 11) % 256 for j in range(96)) for i in range(6)]
    out = []
    for i, blob in enumerate(blobs):
        out.append(Ether() / IP(src=CLIENT, dst=SERVER) / UDP(sport=41000, dport=53) / Raw(blob))
        out.append(Ether() / IP(src=SERVER, dst=CLIENT) / UDP(sport=53, dport=41000) / Raw(blob[::-1]))
    return out


SSH_EXCHANGE = [(b"SSH-2.0-OpenSSH_9.2p1 Debian-2\r\n", b"SSH-2.0-OpenSSH_8.9p1 Ubuntu-3\r\n")]


def crafted_ssh_to_443_outbound() -> list[Packet]:
    return tcp_session(CLIENT, SERVER, 50500, 443, SSH_EXCHANGE)


def crafted_ssh_to_443_internal() -> list[Packet]:
    """sslh-style SSH on 443 of an internal server: an admin practice, not an outbound channel."""
    return tcp_session(CLIENT, INTERNAL_SERVER, 50501, 443, SSH_EXCHANGE)


def crafted_tls_internal_odd_port() -> list[Packet]:
    """TLS to an internal service on 9443 (consoles, NAS, hypervisors): not an outbound channel."""
    return tcp_session(CLIENT, INTERNAL_SERVER, 50502, 9443, [(client_hello("console.corp.example"), b"")])


def crafted_tls_outbound_odd_port() -> list[Packet]:
    """The same ClientHello to an external host on 9443: an encrypted channel on a port that is not TLS's."""
    return tcp_session(CLIENT, SERVER, 50503, 9443, [(client_hello("cdn.example.net"), b"")])


def crafted_dyndns_mixed_case() -> list[Packet]:
    return [dns_query(CLIENT, 42000, "Home-Lab.DuckDNS.org")]


def crafted_dyndns_lookalikes() -> list[Packet]:
    """The provider's own apex and a look-alike registered domain are not dynamic-DNS host names."""
    return [dns_query(CLIENT, 42001, "duckdns.org"), dns_query(CLIENT, 42002, "www.notduckdns.org"),
            dns_query(CLIENT, 42003, "ddns.net.example.com")]


def crafted_dyndns_three_label_zones() -> list[Packet]:
    """Hosts under zones of three labels (1008019): a Brazilian provider, a .co.uk one and a tool's dyn zone."""
    return [dns_query(CLIENT, 42010, "casa.ddns.com.br"), dns_query(CLIENT, 42011, "cam1.No-IP.co.uk"),
            dns_query(CLIENT, 42012, "x.dyn.addr.tools")]


def crafted_dyndns_three_label_lookalikes() -> list[Packet]:
    """A three-label zone's own apex, a sibling under the same public suffix and a name under a covered zone's
    parent only: none is a host under a listed three-label zone; x.y.freedns.afraid.org alerts once (1008010)."""
    return [dns_query(CLIENT, 42013, "ddns.com.br"), dns_query(CLIENT, 42014, "www.shop.com.br"),
            dns_query(CLIENT, 42015, "a.b.example.co.uk"), dns_query(CLIENT, 42016, "x.y.freedns.afraid.org")]


def crafted_mtu_pings() -> list[Packet]:
    """`ping -l 1400` (Windows default: 4 echoes): a path-MTU check, not a tunnel."""
    out = []
    for seq in range(4):
        out.append(Ether() / IP(src=CLIENT, dst=SERVER) / ICMP(type=8, id=1, seq=seq) / Raw(bytes(1400)))
        out.append(Ether() / IP(src=SERVER, dst=CLIENT) / ICMP(type=0, id=1, seq=seq) / Raw(bytes(1400)))
    return out


def crafted_few_txt_lookups() -> list[Packet]:
    """A mail client's SPF / DKIM / DMARC lookups: a few TXT queries are ordinary."""
    names = ["example.com", "selector1._domainkey.example.com", "_dmarc.example.com", "example.org", "_dmarc.example.org"]
    return [dns_query(CLIENT, 43000 + i, name, "TXT") for i, name in enumerate(names)]


def crafted_syn_retry_then_same_port() -> list[Packet]:
    """A lost SYN retried, then the same HTTPS connection works: transient loss, no fallback."""
    session = tcp_session(CLIENT, SERVER, 50600, 443, [(client_hello("www.example.com"), b"")])
    return [session[0].copy()] + session


def unreachable(code: int, quoted: Packet) -> Packet:
    """ICMP destination unreachable from a router, quoting the client's packet."""
    return Ether() / IP(src="192.0.2.1", dst=CLIENT) / ICMP(type=3, code=code) / IP(src=CLIENT, dst=SERVER) / quoted


ODD_PORT_SESSION = [(b"\x00" * 64, b"\x01" * 64)]


def crafted_benign_icmp_errors_then_odd_port() -> list[Packet]:
    """ICMP port unreachable for a UDP (NTP) query and "fragmentation needed" (path MTU discovery) are not failed
    connection attempts: a later connection to an uncommon port is no fallback."""
    errors = [unreachable(3, UDP(sport=123, dport=123)), unreachable(4, TCP(sport=50700, dport=443, flags="A"))]
    return errors + tcp_session(CLIENT, SERVER, 50701, 4455, ODD_PORT_SESSION)


def crafted_host_unreachable_then_odd_port() -> list[Packet]:
    """The contrast: a TCP attempt answered by "host unreachable", then a channel on an uncommon port."""
    return [unreachable(1, TCP(sport=50702, dport=443, flags="S"))] + tcp_session(CLIENT, SERVER, 50703, 4455,
                                                                                  ODD_PORT_SESSION)


CRAFTED: dict[str, Callable[[], list[Packet]]] = {
    name.removeprefix("crafted_"): fn for name, fn in globals().items() if name.startswith("crafted_") and callable(fn)
}


# ---- running Suricata once per capture -----------------------------------------------------------------------

def load_cases() -> list[dict[str, Any]]:
    return json.loads(CASES_FILE.read_text(encoding="utf-8"))["cases"]


def expand(case: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    """(test id, case) per capture; 'shared:benign/*' stands for every benign shared capture."""
    kind, _, name = case["capture"].partition(":")
    if kind == "shared" and name.endswith("/*"):
        return [(f"shared:{p.parent.name}/{p.name}", {**case, "capture": f"shared:{p.parent.name}/{p.name}"})
                for p in shared_captures(name[:-2])]
    return [(case["capture"], case)]


CASE_PARAMS = [pytest.param(case, id=test_id) for raw in load_cases() for test_id, case in expand(raw)]


class SuricataRunner:
    """Runs Suricata (through pcap_analyzer.sources.suricata) once per capture and remembers the alerts."""

    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        self.cfg = load_config()
        self.cache: dict[tuple[str, tuple[str, ...]], list[dict[str, Any]]] = {}

    def capture_path(self, spec: str) -> Path:
        kind, _, name = spec.partition(":")
        if kind == "scenario":
            path = SCENARIOS / name
        elif kind == "shared":
            path = SHARED_PCAPS / name
        elif kind == "crafted":
            path = self.workdir / f"crafted-{name}.pcap"
            if not path.exists():
                wrpcap(str(path), _stamp(CRAFTED[name]()))
        else:
            raise ValueError(f"unknown capture kind in {spec}")
        if not path.is_file():
            pytest.skip(f"{path} is not present")
        return path

    def alerts(self, spec: str, home_net: list[str] | None = None) -> list[dict[str, Any]]:
        key = (spec, tuple(home_net or ()))
        if key not in self.cache:
            capture = self.capture_path(spec)
            outdir = self.workdir / f"run-{len(self.cache):03d}"
            home = HomeNet(home_net) if home_net else None
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
    assert all(rule["msg"].startswith("FALLBACK-HUNT ") for rule in engine_rules)


def test_every_alerting_rule_has_a_positive_case(engine_rules: list[dict[str, Any]]) -> None:
    alerting = {rule["id"] for rule in engine_rules if "noalert" not in rule["flags"]}
    expected = {sid for case in load_cases() for sid in case["expect"]}
    assert alerting - expected == set(), "rules without a positive case"
    assert expected - alerting == set(), "cases expect SIDs that are not alerting rules"


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


# ---- the cases ----------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("case", CASE_PARAMS)
def test_case(case: dict[str, Any], runner: SuricataRunner) -> None:
    alerts = runner.alerts(case["capture"], case.get("home_net"))
    fired = {alert["alert"]["signature_id"] for alert in alerts}
    assert set(case["expect"]) <= fired, f"missing {sorted(set(case['expect']) - fired)}; fired {sorted(fired)}"
    if case["absent"] == "all":
        assert fired == set(), f"alerts on a capture that must stay silent: {sorted(fired)}"
    else:
        assert fired.isdisjoint(case["absent"]), f"unexpected {sorted(fired & set(case['absent']))}"
    for alert in alerts:  # what Suricata itself parsed out of each rule that fired
        meta = alert["alert"]["metadata"]
        assert alert["alert"]["signature_id"] in SID_BLOCK
        assert meta["fallback_indicator"][0] in INDICATOR_TYPES
        assert meta["mitre_tactic_id"] == ["TA0011"]
        assert re.fullmatch(r"T1\d{3}", meta["mitre_technique_id"][0])
        assert meta["signature_severity"][0] in ET_SEVERITIES
        assert meta["created_at"] and meta["updated_at"]
        assert alert["community_id"].startswith("1:")
