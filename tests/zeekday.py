"""Write one simulated day of Zeek conn/dns/ssl logs (TSV, as Zeek writes them) for tests of the baseline store."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

CONN_FIELDS = ("ts uid id.orig_h id.orig_p id.resp_h id.resp_p proto service duration orig_bytes resp_bytes "
               "conn_state history orig_pkts orig_ip_bytes resp_pkts resp_ip_bytes community_id").split()
CONN_TYPES = ("time string addr port addr port enum string interval count count string string count count count "
              "count string").split()
DNS_FIELDS = ("ts uid id.orig_h id.orig_p id.resp_h id.resp_p proto trans_id rtt query qtype qtype_name rcode "
              "rcode_name answers").split()
DNS_TYPES = "time string addr port addr port enum count interval string count string count string vector[string]".split()
SSL_FIELDS = "ts uid id.orig_h id.orig_p id.resp_h id.resp_p version server_name established next_protocol".split()
SSL_TYPES = "time string addr port addr port string string bool string".split()


@dataclass(frozen=True)
class Conn:
    """One connection of a simulated day: a host talking to a peer, optionally after resolving a name."""

    host: str
    peer: str
    port: int
    proto: str = "tcp"
    service: str = "ssl"
    name: str = ""
    state: str = "SF"


def _log(path: Path, name: str, fields: list[str], types: list[str], rows: list[list[str]]) -> None:
    head = ["#separator \\x09", "#set_separator\t,", "#empty_field\t(empty)", "#unset_field\t-", f"#path\t{name}",
            "#open\t2026-01-01-00-00-00", "#fields\t" + "\t".join(fields), "#types\t" + "\t".join(types)]
    path.write_text("\n".join(head + ["\t".join(r) for r in rows] + ["#close\t2026-01-01-00-00-00"]) + "\n")


def write_day(folder: Path, day: int, conns: list[Conn], repeat: int = 1) -> Path:
    """Zeek logs of day ``day`` (days since 2026-01-01) in ``folder``; each conn ``repeat`` times an hour apart."""
    folder.mkdir(parents=True, exist_ok=True)
    start = 1767225600.0 + day * 86400.0
    conn_rows, dns_rows, ssl_rows = [], [], []
    n = 0
    for r in range(repeat):
        for i, c in enumerate(conns):
            n += 1
            ts = start + r * 3600.0 + i * 10.0
            uid, duid = f"C{day}x{n}", f"D{day}x{n}"
            ok = c.state == "SF"
            if c.name:
                dns_rows.append([f"{ts - 0.05:.6f}", duid, c.host, "53000", "10.0.0.53", "53", "udp", str(n), "0.01",
                                 c.name, "1", "A", "0", "NOERROR", c.peer])
                conn_rows.append([f"{ts - 0.05:.6f}", duid, c.host, "53000", "10.0.0.53", "53", "udp", "dns", "0.01",
                                  "40", "56", "SF", "Dd", "1", "68", "1", "84", "-"])
            conn_rows.append([f"{ts:.6f}", uid, c.host, str(40000 + n % 20000), c.peer, str(c.port), c.proto,
                              c.service if ok else "-", "1.5" if ok else "3.0", "500" if ok else "0",
                              "4000" if ok else "0", c.state, "ShADadFf" if ok else "S", "8" if ok else "2",
                              "900" if ok else "120", "8" if ok else "0", "4400" if ok else "0", "-"])
            if ok and c.service == "ssl":
                ssl_rows.append([f"{ts:.6f}", uid, c.host, str(40000 + n % 20000), c.peer, str(c.port), "TLSv13",
                                 c.name or "-", "T", "h2"])
    _log(folder / "conn.log", "conn", CONN_FIELDS, CONN_TYPES, conn_rows)
    _log(folder / "dns.log", "dns", DNS_FIELDS, DNS_TYPES, dns_rows)
    _log(folder / "ssl.log", "ssl", SSL_FIELDS, SSL_TYPES, ssl_rows)
    return folder
