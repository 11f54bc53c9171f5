"""Config validation (issue 13): types, ranges and map tables, each problem one line naming the key."""
from __future__ import annotations

from pathlib import Path

import pytest
from clirun import assert_one_error_line, run_cli
from conftest import SCENARIOS

from pcap_analyzer.config import load_config
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
    assert cfg["ports"]["expected"]["tcp/4444"] == "ssh" and cfg["ports"]["expected"]["tcp/22"] == "ssh"
    assert cfg["zeek"]["service_names"]["myproto"] == "tls"


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
