"""The type and range of every tunable: one frozen dataclass per section of data/default_config.toml.

The values (and what each one means) are in data/default_config.toml; this module only says what a value may be
(conftypes: ``Seconds`` is a float above 0, ``Fraction`` one in [0, 1], ...).  Every TOML key has a field here
and every field a TOML key (tests/test_config_validation.py checks both), except the three ``[verdict]`` settings
the indicator registry supplies (``REGISTRY_SETTINGS``).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from . import registry
from .conftypes import (Cidr, Count, Fraction, FrozenMap, Items, Keys, Name, NonNeg, NonNegInt, Port, Range,
                        Seconds, Text)

_PORT = r"(?:6553[0-5]|655[0-2]\d|65[0-4]\d\d|6[0-4]\d{3}|[1-5]\d{4}|\d{1,4})"
PortKey = Annotated[str, Text(rf"(?:tcp|udp)/{_PORT}", 'a "tcp/PORT" or "udp/PORT"')]
PORT_KEYS = Keys(open=True, pattern=rf"(?:tcp|udp)/{_PORT}", meaning='"tcp/PORT" or "udp/PORT"')
OPEN = Keys(open=True)  # names of the operator's choosing
Address = Annotated[str, Cidr()]
IcmpNumber = Annotated[int, Range(0, 255)]
Bits = Annotated[float, Range(0, 8)]  # Shannon entropy of bytes, bits per byte
Weight = Annotated[float, Range(0, 100)]  # an indicator type's score weight (as in the registry)
IndicatorTypes = Annotated[tuple[str, ...], Items(registry.names, "indicator type")]
URL_TEMPLATE = Text(r"(?:https?|zui)://.+", "an http(s) or zui URL template")

#: [verdict] settings whose defaults come from the indicator registry (data/indicators.toml), not the TOML file
REGISTRY_SETTINGS = ("weights", "evasive", "always_escalate")


@dataclass(frozen=True)
class HomeNetConfig:
    cidrs: tuple[Address, ...]


@dataclass(frozen=True)
class ReaderConfig:
    chunk_packets: Count
    max_caplen: Count


@dataclass(frozen=True)
class FlowsConfig:
    tcp_inactivity: Seconds
    udp_inactivity: Seconds
    icmp_inactivity: Seconds
    dns_inactivity: Seconds
    tcp_attempt_timeout: Seconds
    sample_bytes: NonNegInt
    max_datagrams: NonNegInt
    later_samples: NonNegInt
    later_sample_bytes: NonNegInt
    max_dns_messages: NonNegInt
    dns_ports: tuple[Port, ...]
    max_history: NonNegInt
    drain_grace: NonNeg


@dataclass(frozen=True)
class PipelineConfig:
    stream: bool
    annotate_batch: NonNegInt
    store: bool
    store_buckets: Count
    store_bucket_capture_mb: NonNeg
    store_group_flows: Count
    store_flush_flows: Count


@dataclass(frozen=True)
class ParallelConfig:
    split_bytes: Count
    cluster_min_bytes: NonNegInt
    partition_workers: NonNegInt
    connect_timeout: Seconds
    start_method: Annotated[str, Text(r"fork|forkserver|spawn", '"fork", "forkserver" or "spawn"')]


@dataclass(frozen=True)
class PortsConfig:
    expected: Annotated[FrozenMap[str, Name], PORT_KEYS]


@dataclass(frozen=True)
class RtpConfig:
    min_packets: Count
    max_seq_step: Count
    min_rtcp: Count


@dataclass(frozen=True)
class WireguardConfig:
    min_transport: Count


@dataclass(frozen=True)
class OpenvpnConfig:
    min_data_packets: Count


@dataclass(frozen=True)
class IpsecConfig:
    min_esp_packets: Count


@dataclass(frozen=True)
class DissectConfig:
    max_http_messages: NonNegInt
    icmp_payload_sizes: NonNegInt
    max_ssh_banner: NonNegInt
    rtp: RtpConfig
    wireguard: WireguardConfig
    openvpn: OpenvpnConfig
    ipsec: IpsecConfig


@dataclass(frozen=True)
class MeasuresConfig:
    min_bytes: NonNegInt
    batch_bytes: Count


@dataclass(frozen=True)
class ReportConfig:
    max_text: NonNegInt
    summary_reasons: NonNegInt
    html_max_rows: NonNegInt
    html_max_flows: NonNegInt
    html_max_labels: NonNegInt
    html_max_marks: NonNegInt
    max_same_pattern_hosts: NonNegInt
    max_host_details: NonNegInt
    progress_min_bytes: NonNegInt
    top: NonNegInt
    html_max_items: NonNegInt
    html_max_evidence: NonNegInt
    html_max_pivot: NonNegInt
    html_group_min: Count
    links: Annotated[FrozenMap[str, Annotated[str, URL_TEMPLATE]], OPEN]


@dataclass(frozen=True)
class EventsConfig:
    benign_hosts: bool


@dataclass(frozen=True)
class FailedFallbackConfig:
    min_attempts: Count
    window: NonNeg
    max_failed_channels: Count
    failed_rcodes: tuple[Name, ...]
    proxy_refusal_statuses: tuple[Annotated[int, Range(100, 599)], ...]
    prohibited_icmp: tuple[tuple[IcmpNumber, IcmpNumber], ...]
    prohibited_icmp6: tuple[tuple[IcmpNumber, IcmpNumber], ...]
    extra_sinkholes: tuple[Address, ...]
    internal_primaries: bool
    internal_zones: tuple[Name, ...]
    probe_min_ports: Count
    probe_window: NonNeg
    ignore_services: tuple[Name, ...]
    link_weights: FrozenMap[str, Fraction]  # the link kinds of detect/linkage.py (only the default's keys)
    strong_link: Fraction
    strong_anomalies: IndicatorTypes
    unlinked_max_gap: NonNeg
    lineage_min_label: NonNegInt
    lineage_adjacent: NonNeg
    hard_ip_max_gap: NonNeg
    hard_ip_min_span: NonNeg
    max_bare_ip_peers: NonNegInt
    fingerprint_max_peers: NonNegInt
    cadence_tolerance: Fraction
    cadence_min_intervals: Count
    cadence_min_interval: NonNeg
    min_cycles: Count
    shape_tolerance_bytes: NonNeg
    shape_tolerance_ratio: Fraction
    shape_min_sizes: Count
    shape_min_share: Fraction
    doh_window: NonNeg
    doh_triggers: tuple[Name, ...]
    extra_doh_resolvers: tuple[Name, ...]
    dga_min_distinct: Fraction
    dga_min_names: Count
    dga_max_repeats: Count
    dga_max_spacing: NonNeg
    dga_min_entropy: Bits
    dga_min_ratio: NonNeg
    dga_survivor_gap: NonNeg


@dataclass(frozen=True)
class DyndnsConfig:
    extra_zones: tuple[Name, ...]


@dataclass(frozen=True)
class DnsTunnelConfig:
    tunnel_qtypes: tuple[Name, ...]
    standalone_qtypes: tuple[Name, ...]
    min_sub_length: NonNegInt
    min_label: NonNegInt
    min_entropy: Bits
    min_encoded_names: Count
    min_unique: Count
    tunnel_qtype_ratio: Fraction
    ignore_zones: tuple[Name, ...]


@dataclass(frozen=True)
class IcmpTunnelConfig:
    min_ip_in_payload: Count
    min_echoes: Count
    max_normal_payload: NonNegInt
    max_sizes: NonNegInt
    min_replies_differ: Count


@dataclass(frozen=True)
class BeaconingConfig:
    min_events: Count
    min_interval: NonNeg
    max_interval: Seconds
    min_dispersion: Fraction
    min_score: Fraction
    skew_floor: NonNeg
    full_count: Count
    weights: FrozenMap[str, NonNeg]  # the score components of detect/beacon_score.py (only the default's keys)
    ignore_services: tuple[Name, ...]
    extra_periodic: tuple[Name, ...]
    include_internal: bool
    internal_in_verdict: bool
    reappear_window: NonNeg
    reappear_ratio: Annotated[float, Range(1)]
    cleartext_printable: Fraction


@dataclass(frozen=True)
class ProtocolSwitchConfig:
    window: NonNeg


@dataclass(frozen=True)
class DetectConfig:
    failed_tcp_states: tuple[Name, ...]
    encrypted_services: tuple[Name, ...]
    service_family: Annotated[FrozenMap[str, Name], OPEN]
    identifiable_services: tuple[Name, ...]
    standard_encrypted_ports: tuple[PortKey, ...]
    random_min_bytes: NonNegInt
    random_entropy: Bits
    random_chi2_p: Fraction
    mismatch_min_bytes: NonNegInt
    max_examples: NonNegInt
    shared_zones: tuple[Name, ...]
    failed_fallback: FailedFallbackConfig
    dyndns: DyndnsConfig
    dns_tunnel: DnsTunnelConfig
    icmp_tunnel: IcmpTunnelConfig
    beaconing: BeaconingConfig
    protocol_switch: ProtocolSwitchConfig


@dataclass(frozen=True)
class VerdictConfig:
    weights: Annotated[FrozenMap[str, Weight], Keys(allowed=registry.names, complete=True, what="indicator type")]
    evasive: IndicatorTypes
    always_escalate: IndicatorTypes
    corroboration_bonus: NonNeg
    evasive_evidence: tuple[Name, ...]
    lead_types: IndicatorTypes
    lead_promote_evidence: tuple[Name, ...]
    brief_udp_lead: NonNeg
    min_evasive_types: Count
    min_evasive_channels: Count
    tunnel_min_queries: Count
    tunnel_min_duration: NonNeg
    baseline_top: NonNegInt


@dataclass(frozen=True)
class AppsConfig:
    classes: FrozenMap[str, Name]  # the recognised protocols (only the default's keys)
    dtls_without_srtp: Name
    policy_classes: tuple[Name, ...]
    ordinary_classes: tuple[Name, ...]
    dynamic_port_classes: tuple[Name, ...]
    min_app_port: Port
    max_unrecognised_range: NonNegInt
    attribution_window: NonNeg


@dataclass(frozen=True)
class BaselineConfig:
    kinds: tuple[Name, ...]
    failure_min_flows: Count
    failure_factor: NonNeg
    failure_min_delta: Fraction
    new_boost: NonNeg
    prevalent_damp: NonNeg
    prevalent_hosts: Count
    prevalent_days: NonNeg


@dataclass(frozen=True)
class WatchConfig:
    window: Seconds
    max_rows: Count
    interval: NonNeg
    poll: Seconds


@dataclass(frozen=True)
class SuricataConfig:
    binary: Name
    timeout: Seconds
    join_slack: NonNeg


@dataclass(frozen=True)
class ZeekConfig:
    service_names: Annotated[FrozenMap[str, Name], OPEN]
    package_notice_prefix: Annotated[str, Text(r"\w+::", "a Zeek module prefix ('Module::')")]
    protocol_notices: tuple[Name, ...]
    encrypted_analyzers: tuple[Name, ...]


@dataclass(frozen=True)
class AllowlistConfig:
    use_default: bool


@dataclass(frozen=True)
class ContainmentConfig:
    sid_base: Annotated[int, Range(1, 4294967295)]  # Suricata SIDs are 32-bit
    max_rules: NonNegInt
    nft_table: Annotated[str, Text(r"[A-Za-z_][A-Za-z0-9_-]*", "an nftables table name")]


@dataclass(frozen=True)
class JoinsConfig:
    min_rate: Fraction


@dataclass(frozen=True)
class LimitsConfig:
    enabled: bool
    max_decompressed_bytes: Count
    max_gzip_ratio: Count
    ratio_after_bytes: Count
    max_records: Count


@dataclass(frozen=True)
class Config:
    """Every tunable of the analyzer, typed (``cfg.verdict.weights[kind]``); built by config.load_config."""

    home_net: HomeNetConfig
    reader: ReaderConfig
    flows: FlowsConfig
    pipeline: PipelineConfig
    parallel: ParallelConfig
    ports: PortsConfig
    dissect: DissectConfig
    measures: MeasuresConfig
    report: ReportConfig
    events: EventsConfig
    detect: DetectConfig
    verdict: VerdictConfig
    apps: AppsConfig
    baseline: BaselineConfig
    watch: WatchConfig
    suricata: SuricataConfig
    zeek: ZeekConfig
    allowlist: AllowlistConfig
    containment: ContainmentConfig
    joins: JoinsConfig
    limits: LimitsConfig
