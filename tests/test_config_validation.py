"""Config validation (issue 13): types, ranges and map tables, each problem one line naming the key."""
from __future__ import annotations

import dataclasses
import pickle
import re
import tomllib
from importlib import resources
from pathlib import Path

import pytest
from clirun import assert_one_error_line, run_cli
from conftest import SCENARIOS

from pcap_analyzer import config_schema, conftypes
from pcap_analyzer.config import Config, default_config, default_table, load_config, override, plain
from pcap_analyzer.errors import InputError


def _load(tmp_path: Path, text: str):
    path = tmp_path / "cfg.toml"
    path.write_text(text)
    return load_config(path)


@pytest.mark.parametrize("text, key, problem", [
    ("[home_net]\ncidrs = [1, 2]\n", "home_net.cidrs", "holds a int"),
    ("[detect.dyndns]\nextra_zones = [1, \"ok.example\"]\n", "detect.dyndns.extra_zones", "holds a int"),
    ("[detect.dyndns]\nextra_zones = [[\"x\"]]\n", "detect.dyndns.extra_zones", "holds a list"),
    ("[flows]\ntcp_inactivity = -1.0\n", "flows.tcp_inactivity", "must not be negative"),
    ("[flows]\nudp_inactivity = nan\n", "flows.udp_inactivity", "finite"),
    ("[flows]\nicmp_inactivity = inf\n", "flows.icmp_inactivity", "finite"),
    ("[flows]\ntcp_attempt_timeout = 0.0\n", "flows.tcp_attempt_timeout", "greater than 0"),
    ("[flows]\nsample_bytes = -100\n", "flows.sample_bytes", "must not be negative"),
    ("[flows]\nsample_bytes = 1.5\n", "flows.sample_bytes", "whole number"),
    ("[report]\nmax_text = -5\n", "report.max_text", "must not be negative"),
    ("[verdict.weights]\ndns_tunnel = nan\n", "verdict.weights.dns_tunnel", "finite"),
    ("[verdict]\nweights = { beaconing = \"high\" }\n", "verdict.weights.beaconing", "wrong type"),
    ("[ports]\nexpected = { \"tcp/99999\" = \"http\" }\n", "ports.expected", "tcp/PORT"),
    ("[ports.expected]\n\"smtp\" = \"smtp\"\n", "ports.expected", "tcp/PORT"),
])
def test_bad_values_are_one_line_naming_the_key(tmp_path: Path, text: str, key: str, problem: str) -> None:
    with pytest.raises(InputError) as err:
        _load(tmp_path, text)
    message = str(err.value)
    assert f"'{key}" in message and problem in message and "\n" not in message


def test_map_tables_take_new_keys(tmp_path: Path) -> None:
    cfg = _load(tmp_path, "[ports.expected]\n\"tcp/4444\" = \"ssh\"\n[zeek.service_names]\nmyproto = \"tls\"\n")
    assert cfg.ports.expected["tcp/4444"] == "ssh" and cfg.ports.expected["tcp/22"] == "ssh"
    assert cfg.zeek.service_names["myproto"] == "tls"


def test_deep_nesting_is_one_line(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="too deeply|holds a list|wrong type|not valid TOML"):
        _load(tmp_path, "[home_net]\ncidrs = " + "[" * 5000 + "]" * 5000 + "\n")


def test_cli_reports_a_bad_config_without_internal_error(tmp_path: Path) -> None:
    cfg = tmp_path / "cfg.toml"
    cfg.write_text("[home_net]\ncidrs = [1, 2]\n")
    line = assert_one_error_line(run_cli("analyze", SCENARIOS / "demo_office.pcap", "-o", tmp_path / "o",
                                         "--config", cfg))
    assert "internal error" not in line and "home_net.cidrs" in line


def test_output_directory_that_is_a_symlink_loop(tmp_path: Path) -> None:
    loop = tmp_path / "loop"
    loop.symlink_to(loop)
    line = assert_one_error_line(run_cli("analyze", SCENARIOS / "demo_office.pcap", "-o", loop))
    assert "internal error" not in line


# ---- typed config (issue 11): every section's ranges, the TOML and the dataclasses agree -------------------------

#: (section, TOML, key, problem): at least one bound per section; removing a bound from config_schema fails its case
RANGES = [
    ("home_net", "cidrs = [\"10.0.0.0/33\"]", "home_net.cidrs", "item must be an address or CIDR block"),
    ("reader", "chunk_packets = 0", "reader.chunk_packets", "must be at least 1"),
    ("reader", "max_caplen = 0", "reader.max_caplen", "must be at least 1"),
    ("flows", "dns_ports = [53, 70000]", "flows.dns_ports", "item must be at most 65535"),
    ("flows", "drain_grace = -0.5", "flows.drain_grace", "must not be negative"),
    ("flows", "dns_inactivity = 0.0", "flows.dns_inactivity", "must be greater than 0"),
    ("pipeline", "annotate_batch = -1", "pipeline.annotate_batch", "must not be negative"),
    ("parallel", "split_bytes = 0", "parallel.split_bytes", "must be at least 1"),
    ("parallel", "start_method = \"thread\"", "parallel.start_method", "\"fork\", \"forkserver\" or \"spawn\""),
    ("ports", "expected = { \"udp/65536\" = \"dns\" }", "ports.expected", "tcp/PORT"),
    ("dissect", "max_ssh_banner = -1", "dissect.max_ssh_banner", "must not be negative"),
    ("dissect.rtp", "min_packets = 0", "dissect.rtp.min_packets", "must be at least 1"),
    ("dissect.wireguard", "min_transport = 0", "dissect.wireguard.min_transport", "must be at least 1"),
    ("dissect.openvpn", "min_data_packets = 0", "dissect.openvpn.min_data_packets", "must be at least 1"),
    ("dissect.ipsec", "min_esp_packets = 0", "dissect.ipsec.min_esp_packets", "must be at least 1"),
    ("measures", "batch_bytes = 0", "measures.batch_bytes", "must be at least 1"),
    ("report", "html_group_min = 0", "report.html_group_min", "must be at least 1"),
    ("report", "links = { Arkime = \"javascript:alert(1)\" }", "report.links.Arkime", "http(s) or zui URL template"),
    ("events", "benign_hosts = 1", "events.benign_hosts", "has the wrong type (int)"),
    ("detect", "random_entropy = 8.5", "detect.random_entropy", "must be at most 8"),
    ("detect", "random_chi2_p = 1.5", "detect.random_chi2_p", "must be at most 1"),
    ("detect", "standard_encrypted_ports = [\"tcp/443\", \"443\"]", "detect.standard_encrypted_ports",
     "item must be a \"tcp/PORT\""),
    ("detect.failed_fallback", "link_weights = { same_peer = 1.2 }", "detect.failed_fallback.link_weights.same_peer",
     "must be at most 1"),
    ("detect.failed_fallback", "prohibited_icmp = [[3, 300]]", "detect.failed_fallback.prohibited_icmp",
     "item must be at most 255"),
    ("detect.failed_fallback", "prohibited_icmp6 = [[1]]", "detect.failed_fallback.prohibited_icmp6",
     "must hold 2 items"),
    ("detect.failed_fallback", "proxy_refusal_statuses = [99]", "detect.failed_fallback.proxy_refusal_statuses",
     "item must be at least 100"),
    ("detect.failed_fallback", "strong_anomalies = [\"dns_tunel\"]", "detect.failed_fallback.strong_anomalies",
     "names unknown indicator type 'dns_tunel'"),
    ("detect.failed_fallback", "extra_sinkholes = [\"sinkhole.example\"]", "detect.failed_fallback.extra_sinkholes",
     "item must be an address or CIDR block"),
    ("detect.failed_fallback", "dga_min_distinct = 1.1", "detect.failed_fallback.dga_min_distinct",
     "must be at most 1"),
    ("detect.dyndns", "extra_zones = [\"\"]", "detect.dyndns.extra_zones", "item must be a non-empty string"),
    ("detect.dns_tunnel", "tunnel_qtype_ratio = 2.0", "detect.dns_tunnel.tunnel_qtype_ratio", "must be at most 1"),
    ("detect.dns_tunnel", "min_unique = 0", "detect.dns_tunnel.min_unique", "must be at least 1"),
    ("detect.icmp_tunnel", "min_echoes = 0", "detect.icmp_tunnel.min_echoes", "must be at least 1"),
    ("detect.beaconing", "reappear_ratio = 0.5", "detect.beaconing.reappear_ratio", "must be at least 1"),
    ("detect.beaconing", "full_count = 0", "detect.beaconing.full_count", "must be at least 1"),
    ("detect.beaconing", "weights = { coverage = -0.1 }", "detect.beaconing.weights.coverage", "must not be negative"),
    ("detect.beaconing", "min_score = 1.01", "detect.beaconing.min_score", "must be at most 1"),
    ("detect.protocol_switch", "window = -1.0", "detect.protocol_switch.window", "must not be negative"),
    ("verdict", "weights = { dns_tunnel = 101.0 }", "verdict.weights.dns_tunnel", "must be at most 100"),
    ("verdict", "min_evasive_types = 0", "verdict.min_evasive_types", "must be at least 1"),
    ("verdict", "lead_types = [\"beacon\"]", "verdict.lead_types", "names unknown indicator type 'beacon'"),
    ("apps", "min_app_port = 70000", "apps.min_app_port", "must be at most 65535"),
    ("baseline", "failure_min_delta = 1.5", "baseline.failure_min_delta", "must be at most 1"),
    ("baseline", "prevalent_hosts = 0", "baseline.prevalent_hosts", "must be at least 1"),
    ("watch", "poll = 0.0", "watch.poll", "must be greater than 0"),
    ("watch", "max_rows = 0", "watch.max_rows", "must be at least 1"),
    ("suricata", "timeout = 0.0", "suricata.timeout", "must be greater than 0"),
    ("suricata", "binary = \"\"", "suricata.binary", "must be a non-empty string"),
    ("zeek", "package_notice_prefix = \"FallbackChannels\"", "zeek.package_notice_prefix", "Zeek module prefix"),
    ("allowlist", "use_default = \"yes\"", "allowlist.use_default", "has the wrong type (str)"),
    ("containment", "sid_base = 0", "containment.sid_base", "must be at least 1"),
    ("containment", "sid_base = 4294967296", "containment.sid_base", "must be at most 4294967295"),
    ("containment", "nft_table = \"two words\"", "containment.nft_table", "an nftables table name"),
    ("joins", "min_rate = 1.5", "joins.min_rate", "must be at most 1"),
    ("limits", "max_gzip_ratio = 0", "limits.max_gzip_ratio", "must be at least 1"),
]


def _sections(cls: type = Config, where: str = "") -> list[str]:
    out = []
    for f in dataclasses.fields(cls):
        tp = conftypes.fields_of(cls)[f.name]
        if dataclasses.is_dataclass(tp):
            out += [f"{where}{f.name}", *_sections(tp, f"{where}{f.name}.")]
    return out


@pytest.mark.parametrize("section, text, key, problem", RANGES, ids=[f"{r[2]}:{r[3][:20]}" for r in RANGES])
def test_every_section_checks_its_ranges(tmp_path: Path, section: str, text: str, key: str, problem: str) -> None:
    with pytest.raises(InputError) as err:
        _load(tmp_path, f"[{section}]\n{text}\n")
    message = str(err.value)
    assert message.startswith(f"config: '{key}' ") and problem in message and "\n" not in message, message


def test_every_section_has_a_range_case() -> None:
    sections = _sections()
    assert len(sections) == 31 and sorted(set(sections) - {r[0] for r in RANGES}) == []


def _leaves(table: dict, where: str = "") -> set[str]:
    return {name for key, value in table.items()
            for name in (_leaves(value, f"{where}{key}.") if isinstance(value, dict) and f"{where}{key}" in
                         set(_sections()) else {f"{where}{key}"})}


def _fields(cls: type = Config, where: str = "") -> set[str]:
    out: set[str] = set()
    for name, tp in conftypes.fields_of(cls).items():
        out |= _fields(tp, f"{where}{name}.") if dataclasses.is_dataclass(tp) else {f"{where}{name}"}
    return out


def test_the_toml_and_the_dataclasses_agree() -> None:
    toml = tomllib.loads((resources.files("pcap_analyzer") / "data" / "default_config.toml").read_text())
    registry_keys = {f"verdict.{key}" for key in config_schema.REGISTRY_SETTINGS}
    assert sorted(_leaves(toml) - _fields()) == [], "a TOML key without a field in config_schema.py"
    assert sorted(_fields() - _leaves(toml) - registry_keys) == [], "a field without a value in default_config.toml"
    assert not _leaves(toml) & registry_keys, "the registry holds these"


def test_a_setting_missing_from_the_defaults_fails_at_load() -> None:
    table = default_table()
    del table["flows"]["sample_bytes"]
    with pytest.raises(InputError, match="'flows.sample_bytes' is missing from the defaults"):
        conftypes.build(Config, table, conftypes.MISSING, "")
    table = default_table()
    del table["verdict"]["weights"]["dns_tunnel"]  # the registry contract: every type has its weight
    with pytest.raises(InputError, match="'verdict.weights' has no entry for indicator type 'dns_tunnel'"):
        conftypes.build(Config, table, conftypes.MISSING, "")


@pytest.mark.parametrize("text, key", [
    ("[apps.classes]\nfoo = \"VPN\"\n", "apps.classes.foo"),
    ("[detect.failed_fallback.link_weights]\nguess = 0.5\n", "detect.failed_fallback.link_weights.guess"),
    ("[detect.beaconing.weights]\njitter = 0.5\n", "detect.beaconing.weights.jitter"),
    ("[dissect.rtp]\nmin_packet = 3\n", "dissect.rtp.min_packet"),
    ("[nosuch]\nx = 1\n", "nosuch"),
])
def test_closed_tables_refuse_new_keys(tmp_path: Path, text: str, key: str) -> None:
    with pytest.raises(InputError, match=re.escape(f"config: unknown setting '{key}'")):
        _load(tmp_path, text)


def test_a_section_must_be_a_table(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=re.escape("config: 'flows' must be a table")):
        _load(tmp_path, "flows = 3\n")


def test_values_are_typed_frozen_and_pickle(tmp_path: Path) -> None:
    cfg = _load(tmp_path, "[flows]\ntcp_inactivity = 200\ndns_ports = [53]\n"
                          "[detect.dyndns]\nextra_zones = [\"x.example\"]\n")
    assert cfg.flows.tcp_inactivity == 200.0 and isinstance(cfg.flows.tcp_inactivity, float)
    assert cfg.flows.dns_ports == (53,) and cfg.detect.dyndns.extra_zones == ("x.example",)
    assert cfg.detect.failed_fallback.prohibited_icmp == ((3, 9), (3, 10), (3, 13))
    with pytest.raises(dataclasses.FrozenInstanceError):
        cfg.flows.tcp_inactivity = 1.0  # type: ignore[misc]
    with pytest.raises(TypeError):
        cfg.ports.expected["tcp/1"] = "x"  # type: ignore[index]
    again = pickle.loads(pickle.dumps(cfg))
    assert again == cfg and hash(again) == hash(cfg) and again.ports.expected == cfg.ports.expected
    assert default_config() is default_config() and load_config() == default_config()


def test_override_checks_like_a_file() -> None:
    cfg = override(default_config(), {"report": {"top": 3}, "zeek": {"service_names": {"myproto": "tls"}}})
    assert cfg.report.top == 3 and default_config().report.top == 10
    assert cfg.zeek.service_names["myproto"] == "tls" and cfg.zeek.service_names["ssl"] == "tls"
    assert plain(cfg)["report"]["top"] == 3
    with pytest.raises(InputError, match="'report.top' must not be negative"):
        override(default_config(), {"report": {"top": -1}})
