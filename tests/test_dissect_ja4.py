"""JA4 (dissect/ja4.py): the published specification's worked example, and every ClientHello of the shared real
captures against JA4 built by hand from tshark's own field values (the tshark of Debian 12, 4.0, has no JA4 field
yet: ``tshark -G fields`` lists none)."""
from __future__ import annotations

import hashlib
import shutil
import subprocess
from pathlib import Path

import pytest
from conftest import SHARED_PCAPS
from test_dissect_apps import annotated_capture
from test_dissect_tls import GREASE, _ext, _records, _u16s, _vec

from pcap_analyzer.dissect.tls import parse_tls

GREASES = {0x0A0A + 0x1010 * i for i in range(16)}


def spec_hello(sni: bool = True, alpn: bytes = b"h2", sig_algs: bool = True) -> bytes:
    """The ClientHello of the JA4 specification's example: 15 ciphers, 16 extensions, GREASE in both."""
    ciphers = [GREASE, 0x1301, 0x1302, 0x1303, 0xC02B, 0xC02F, 0xC02C, 0xC030, 0xCCA9, 0xCCA8, 0xC013, 0xC014,
               0x009C, 0x009D, 0x002F, 0x0035]
    bodies = {0x0000: _vec(b"\x00" + _vec(b"example.com", 2), 2), 0x0010: _vec(_vec(alpn, 1), 2),
              0x000D: _vec(_u16s([0x0403, 0x0804, 0x0401, 0x0503, 0x0805, 0x0501, 0x0806, 0x0601]), 2),
              0x002B: _vec(_u16s([GREASE, 0x0304, 0x0303]), 1), 0x000A: _vec(_u16s([GREASE, 29, 23]), 2),
              0x000B: _vec(b"\x00", 1)}
    order = [0x001B, 0x0000, 0x0033, 0x0010, 0x4469, 0x0017, 0x002D, 0x000D, 0x0005, 0x0023, 0x0012, 0x002B,
             0xFF01, 0x000B, 0x000A, 0x0015]
    exts = [_ext(GREASE, b"")] + [_ext(e, bodies.get(e, b"")) for e in order
                                  if (sni or e != 0x0000) and (sig_algs or e != 0x000D)]
    body = (b"\x03\x03" + bytes(32) + _vec(bytes(32), 1) + _vec(_u16s(ciphers), 2) + _vec(b"\x00", 1)
            + _vec(b"".join(exts), 2))
    return _records(1, body)


def test_the_specifications_worked_example():
    info = parse_tls(spec_hello(), b"")
    assert info.ja4 == "t13d1516h2_8daaf6152771_e5627efa2ab1"
    assert info.ja4_raw == ("t13d1516h2_002f,0035,009c,009d,1301,1302,1303,c013,c014,c02b,c02c,c02f,c030,cca8,cca9_"
                            "0005,000a,000b,000d,0012,0015,0017,001b,0023,002b,002d,0033,4469,ff01_"
                            "0403,0804,0401,0503,0805,0501,0806,0601")
    assert info.ja3 and info.ja3 != info.ja4  # both fingerprints of one hello


def test_sni_alpn_and_signature_algorithms_change_only_their_part():
    no_sni = parse_tls(spec_hello(sni=False), b"").ja4
    assert no_sni == "t13i1515h2_8daaf6152771_e5627efa2ab1"  # the destination is an address: "i", one extension less
    assert parse_tls(spec_hello(alpn=b"http/1.1"), b"").ja4.startswith("t13d1516h1_")
    assert parse_tls(spec_hello(alpn=b"\xabzz\x01"), b"").ja4.startswith("t13d1516a1_")  # not alphanumeric: hex
    no_sig = parse_tls(spec_hello(sig_algs=False), b"").ja4
    assert no_sig == "t13d1515h2_8daaf6152771_" + hashlib.sha256(
        b"0005,000a,000b,0012,0015,0017,001b,0023,002b,002d,0033,4469,ff01").hexdigest()[:12]


# -- real captures ---------------------------------------------------------------------------------------------------

CAPTURES = ["apps/ndpi-anyconnect-vpn.pcap", "apps/ndpi-anydesk.pcapng", "apps/ndpi-google_meet.pcapng",
            "apps/ndpi-googledns_android10.pcap", "apps/ndpi-line.pcap", "apps/ndpi-netflix.pcap",
            "apps/ndpi-steam.pcapng", "apps/ndpi-whatsapp_login_call.pcap", "benign/zeek-tls-ssl.v3.pcap",
            "benign/zeek-tls-tls-1.2-stream-keylog.pcap", "malicious/ndpi-emotet.pcap"]
_VERSION = {0x0304: "13", 0x0303: "12", 0x0302: "11", 0x0301: "10", 0x0300: "s3", 0x0100: "s1", 0xFEFF: "d1",
            0xFEFD: "d2", 0xFEFC: "d3"}


def _ints(text: str) -> list[int]:
    return [int(v, 0) for v in text.split(",") if v] if text else []


def _hashed(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:12] if text else "000000000000"


def _by_hand(transport: str, version: str, ciphers: str, exts: str, sig_lengths: str, sig_algs: str, versions: str, alpn: str,
             sni: str) -> str:
    """JA4 from tshark's values, step by step as the specification words it. tshark's sig_hash_alg holds the lists
    of signature_algorithms (13) and of delegated_credentials (34) one after the other: JA4 takes the first's."""
    cipher_list = [c for c in _ints(ciphers) if c not in GREASES]
    ext_list = [e for e in _ints(exts) if e not in GREASES]
    offered = [v for v in _ints(versions) if v not in GREASES]
    first_alpn = alpn.split(",")[0]
    head = (f"{transport}{_VERSION.get(max(offered) if offered else int(version, 0), '00')}{'d' if sni else 'i'}"
            f"{min(len(cipher_list), 99):02d}{min(len(ext_list), 99):02d}"
            f"{first_alpn[0] + first_alpn[-1] if first_alpn else '00'}")
    b = ",".join(sorted(f"{c:04x}" for c in cipher_list))
    c = ",".join(sorted(f"{e:04x}" for e in ext_list if e not in (0, 16)))
    lists, algs = [e for e in _ints(exts) if e in (13, 34)], _ints(sig_algs)
    sigs: list[int] = []
    for ext, length in zip(lists, _ints(sig_lengths)):
        chunk, algs = algs[:length // 2], algs[length // 2:]
        sigs = [s for s in chunk if s not in GREASES] if ext == 13 else sigs
    if c and sigs:
        c += "_" + ",".join(f"{s:04x}" for s in sigs)
    return "_".join([head, _hashed(b), _hashed(c)])


def _tshark_ja4(path: Path, proto: str = "tls") -> dict[tuple[int, int], str]:
    """JA4 by hand of every TLS (or DTLS) ClientHello tshark decodes (SSLv2-format hellos left out: they carry no
    extensions and the analyzer does not fingerprint them), by the flow's two ports."""
    l4 = "udp" if proto == "dtls" else "tcp"
    fields = [f"{l4}.srcport", f"{l4}.dstport"] + [f"{proto}.handshake.{name}" for name in (
        "version", "ciphersuite", "extension.type", "sig_hash_alg_len", "sig_hash_alg",
        "extensions.supported_version", "extensions_alpn_str", "extensions_server_name")]
    where = f"{proto}.handshake.type == 1 && {l4}" + (" && tls.record.version != 0x0002" if proto == "tls" else "")
    out = subprocess.run(["tshark", "-r", str(path), "-Y", where, "-T", "fields",
                          "-E", "occurrence=a", "-E", "aggregator=,", *[x for f in fields for x in ("-e", f)]],
                         capture_output=True, text=True, timeout=60, check=True).stdout
    hellos: dict[tuple[int, int], str] = {}
    for line in out.splitlines():
        sport, dport, *values = line.split("\t")
        hellos.setdefault((min(int(sport), int(dport)), max(int(sport), int(dport))), _by_hand("d" if proto == "dtls" else "t", *values))
    return hellos


def _our_ja4(path: Path) -> dict[tuple[int, int], str]:
    return {(min(f.orig_p, f.resp_p), max(f.orig_p, f.resp_p)): f.tls.ja4 for f in annotated_capture(path)
            if f.tls is not None and f.tls.client_hello}


@pytest.mark.parametrize("name", CAPTURES)
def test_ja4_of_real_client_hellos_matches_tsharks_fields(name, shared_pcaps):
    if shutil.which("tshark") is None:
        pytest.skip("tshark is not installed")
    expected = _tshark_ja4(SHARED_PCAPS / name)
    ours = _our_ja4(SHARED_PCAPS / name)
    assert expected and {key: ours.get(key) for key in expected} == expected  # ours may see TLS on odd ports too


def test_ja4_of_a_real_dtls_client_hello(shared_pcaps):
    """AnyConnect's DTLS tunnel: Cisco's pre-RFC version 0x0100 ("s1" in the specification's table), one suite."""
    if shutil.which("tshark") is None:
        pytest.skip("tshark is not installed")
    path = SHARED_PCAPS / "apps/ndpi-anyconnect-vpn.pcap"
    ours = {(min(f.orig_p, f.resp_p), max(f.orig_p, f.resp_p)): f.app["ja4"] for f in annotated_capture(path)
            if f.app is not None and f.app.get("ja4")}
    assert ours == _tshark_ja4(path, "dtls") == {(443, 54107): "ds1i010000_2cfe23c976cf_000000000000"}
