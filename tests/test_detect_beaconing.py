"""beaconing: regular check-ins to one channel, scored from interval dispersion and skew, size, count and coverage;
irregular traffic, infrastructure and known periodic services don't count; failed attempts are timed apart; a beacon
that moves to another channel says so; cleartext heartbeats on odd ports are marked."""
from __future__ import annotations

import random

import numpy as np
from test_detect_helpers import TEXT, context, dns_flow, failed, make_flow, tls_flow

from pcap_analyzer.detect import run_all
from pcap_analyzer.detect.beacon_score import bowley_skew, score_series
from pcap_analyzer.detect.beaconing import Beaconing
from pcap_analyzer.config import default_config, override
from pcap_analyzer.decide.verdict import build_hosts

H, C2 = "10.0.0.5", "198.51.100.23"
BCFG = default_config().detect.beaconing


def checkins(times, port=8443, peer=C2, **kw):
    return [tls_flow(H, peer, port, ts=t, **kw) for t in times]


def test_regular_check_ins_fire_with_every_score_component() -> None:
    rng = random.Random(1)
    flows = checkins([100.0 + 30.0 * i + rng.uniform(-0.5, 0.5) for i in range(8)])
    (ind,) = Beaconing().run(context(flows))
    ev = ind.evidence
    assert abs(ev["mean_interval"] - 30.0) < 1.0 and abs(ev["median_interval"] - 30.0) < 1.0 and ev["cv"] < 0.05
    assert ev["connections"] == 8 and len(ind.uids) == 8 and ev["outcome"] == "working"
    assert set(ev["components"]) == {"dispersion", "skew", "size", "count", "coverage"}
    assert ev["components"]["dispersion"] > 0.95 and ev["components"]["size"] == 1.0
    assert ev["components"]["count"] == 0.7  # 7 intervals of the 10 that score fully
    assert ev["components"]["coverage"] == 1.0  # the beacon is all the capture holds
    assert ev["threshold"] == BCFG.min_score <= ev["score"] <= 1.0
    assert ev["internal"] is False and "in_verdict" not in ev and "cleartext" not in ev


def test_jittered_beacon_scores_lower_but_fires_and_poisson_traffic_does_not() -> None:
    rng = random.Random(3)
    jittered = np.cumsum([60.0 * rng.uniform(0.8, 1.2) for _ in range(12)])
    score = score_series(jittered, np.full(12, 900.0), float(jittered[-1] - jittered[0]), BCFG)
    assert 0.8 < score.components["dispersion"] < 0.97 and score.score >= BCFG.min_score
    poisson = np.cumsum([rng.expovariate(1 / 60.0) for _ in range(40)])
    score = score_series(poisson, np.full(40, 900.0), float(poisson[-1] - poisson[0]), BCFG)
    assert score.components["dispersion"] < 0.5 < score.components["size"]  # equal sizes cannot make it a beacon
    flows = checkins(list(poisson))
    assert Beaconing().run(context(flows)) == []


def test_bowley_skew_ignores_quartiles_of_near_identical_intervals() -> None:
    assert bowley_skew(np.array([10.0, 10.0, 10.0, 11.0, 11.0, 20.0, 30.0, 40.0]), 0.0) > 0.5
    assert bowley_skew(np.array([30.0, 30.01, 29.99, 30.02, 30.0]), 1.5) == 0.0


def test_intervals_from_two_seconds_to_an_hour_are_covered() -> None:
    (fast,) = Beaconing().run(context(checkins([10.0 + 2.0 * i + 0.05 * (i % 3) for i in range(30)], port=4444)))
    assert abs(fast.evidence["median_interval"] - 2.0) < 0.1 and fast.evidence["connections"] == 30
    (slow,) = Beaconing().run(context(checkins([3600.0 * i + 7.0 * (i % 2) for i in range(8)], port=4445)))
    assert abs(slow.evidence["median_interval"] - 3600.0) < 10.0
    burst = checkins([10.0 + 0.01 * i for i in range(20)], port=4446)  # parallel connections: no interval
    assert Beaconing().run(context(burst)) == []


def test_irregular_or_infrastructure_traffic_does_not_fire() -> None:
    rng = random.Random(2)
    browsing = [tls_flow(H, C2, ts=t) for t in sorted(rng.uniform(0, 3600) for _ in range(20))]
    lookups = [dns_flow(H, "203.0.113.53", 10.0 * i, "www.example.com") for i in range(10)]
    assert Beaconing().run(context(browsing + lookups)) == []


def test_known_periodic_services_do_not_count() -> None:
    ntp = [make_flow(H, "198.51.100.123", 123, "udp", ts=64.0 * i, service="") for i in range(10)]
    ncsi = checkins([30.0 * i for i in range(10)], port=443, peer="198.51.100.80", sni="www.msftconnecttest.com")
    push = [make_flow(H, "198.51.100.5", 5223, ts=60.0 * i, service="tls") for i in range(10)]
    resolved = [dns_flow(H, "10.0.0.1", 0.5, "edr.sentinelone.net",
                         answers=[("edr.sentinelone.net", "A", "198.51.100.77")])]
    edr = checkins([1.0 + 20.0 * i for i in range(10)], port=443, peer="198.51.100.77")
    assert Beaconing().run(context(ntp + ncsi + push + resolved + edr)) == []
    cfg = override(default_config(), {"detect": {"beaconing": {"extra_periodic": ["tcp/8443"]}}})
    assert Beaconing().run(context(checkins([30.0 * i for i in range(10)]), cfg=cfg)) == []


def test_internal_channels_are_evidence_but_not_verdict() -> None:
    internal = [make_flow(H, "10.0.0.9", 8080, ts=10.0 * i, service="http") for i in range(10)]
    ctx = context(internal)
    (ind,) = Beaconing().run(ctx)
    assert ind.evidence["internal"] is True and ind.evidence["in_verdict"] is False
    (host,) = [h for h in build_hosts([ind], ctx) if h.ip == H]
    assert host.verdict == "benign" and host.indicators == [ind] and "informational" in host.reasons[0]
    assert host.score == 0.0
    cfg = override(default_config(), {"detect": {"beaconing": {"internal_in_verdict": True}}})
    ctx = context(internal, cfg=cfg)
    (ind,) = Beaconing().run(ctx)
    assert "in_verdict" not in ind.evidence
    assert [h.score for h in build_hosts([ind], ctx) if h.ip == H] == [cfg.verdict.weights["beaconing"]]


def test_a_lone_encrypted_heartbeat_is_a_lead_and_counts_with_other_indicators() -> None:
    flows = checkins([100.0 + 30.0 * i for i in range(8)])
    ctx = context(flows)
    (ind,) = Beaconing().run(ctx)
    (host,) = [h for h in build_hosts([ind], ctx) if h.ip == H]
    assert host.verdict == "benign" and host.score == 10.0 and "informational" in host.reasons[0]
    odd = tls_flow(H, "203.0.113.5", 4443, ts=50.0)
    ctx = context(flows + [odd])
    found = run_all(ctx)
    assert {i.type for i in found} == {"beaconing", "nonstandard_port_encrypted"}
    (host,) = [h for h in build_hosts(found, ctx) if h.ip == H]
    assert host.verdict == "investigate" and host.score == 30.0


def test_failed_attempts_are_timed_apart_from_working_connections() -> None:
    rng = random.Random(4)
    working = checkins([100.0 + 60.0 * i + rng.uniform(-1, 1) for i in range(12)])
    retries = [failed(H, C2, 8443, rng.uniform(100.0, 800.0)) for _ in range(9)]
    mixed = sorted([f.ts for f in working + retries])
    assert np.std(np.diff(mixed)) / np.mean(np.diff(mixed)) > 0.5  # timing them together hides the beacon
    (ind,) = Beaconing().run(context(working + retries))
    assert ind.evidence["outcome"] == "working" and ind.evidence["connections"] == 12
    assert set(ind.uids) == {f.uid for f in working}


def test_a_beacon_that_dies_and_reappears_elsewhere_is_fallback_evidence() -> None:
    before = checkins([100.0 + 45.0 * i for i in range(8)], port=443)
    dead = [failed(H, C2, 443, 100.0 + 45.0 * i) for i in range(8, 12)]
    after = checkins([700.0 + 44.0 * i for i in range(8)], port=8443, peer="203.0.113.77")
    ctx = context(before + dead + after)
    found = Beaconing().run(ctx)
    old, = [i for i in found if i.port == 443 and i.evidence["outcome"] == "working"]
    new, = [i for i in found if i.port == 8443]
    moved = old.evidence["reappeared_on"]
    assert (moved["peer"], moved["port"], moved["proto"]) == ("203.0.113.77", 8443, "tcp")
    assert moved["gap"] == round(700.0 - before[-1].ts, 6) > 0
    assert new.evidence["reappeared_from"]["peer"] == C2 and new.evidence["reappeared_from"]["gap"] == moved["gap"]
    (host,) = [h for h in build_hosts(found, ctx) if h.ip == H]
    assert any("reappeared on tcp/8443 203.0.113.77" in e for e in host.answers["fail_then_resume"]["evidence"])
    unrelated = checkins([700.0 + 600.0 * i for i in range(8)], port=8443, peer="203.0.113.77")  # 13x the interval
    assert all("reappeared_on" not in i.evidence for i in Beaconing().run(context(before + unrelated)))


def test_one_service_rotating_its_address_has_not_moved() -> None:
    name = "poll.vendor.example"
    first = [dns_flow(H, "10.0.0.1", 99.0, name, answers=[(name, "A", C2)])]
    first += checkins([100.0 + 45.0 * i for i in range(8)], port=443)
    second = [dns_flow(H, "10.0.0.1", 499.0, name, answers=[(name, "A", "203.0.113.77")])]
    second += checkins([500.0 + 45.0 * i for i in range(8)], port=443, peer="203.0.113.77")
    found = Beaconing().run(context(first + second))
    assert sorted(i.peer for i in found) == sorted([C2, "203.0.113.77", name])  # two channels, one name across both
    assert all("reappeared_on" not in i.evidence for i in found)
    other = checkins([500.0 + 45.0 * i for i in range(8)], port=443, peer="203.0.113.77", sni="cdn.other.example")
    moved = [i for i in Beaconing().run(context(first + other)) if "reappeared_on" in i.evidence]
    assert [i.peer for i in moved] == [C2]  # another name on the new address: the beacon moved


def test_cleartext_heartbeat_on_an_odd_port_is_marked_and_investigated() -> None:
    beats = [make_flow(H, "203.0.113.40", 7001, ts=20.0 * i, service="", orig_measures=TEXT, resp_measures=TEXT)
             for i in range(10)]
    ctx = context(beats)
    (ind,) = [i for i in run_all(ctx) if i.type == "beaconing"]
    assert ind.evidence["cleartext"] is True and ind.evidence["printable"] == 0.99 and ind.evidence["port"] == 7001
    (host,) = [h for h in build_hosts(run_all(ctx), ctx) if h.ip == H]
    assert host.verdict == "investigate"
    http = [make_flow(H, "203.0.113.40", 8080, ts=20.0 * i, service="http", orig_measures=TEXT) for i in range(10)]
    (plain,) = Beaconing().run(context(http))
    assert "cleartext" not in plain.evidence  # a recognised protocol on its port is no cleartext C2


def test_a_name_rotating_its_addresses_is_one_beacon() -> None:
    peers = ("198.51.100.31", "198.51.100.32", "203.0.113.33")
    flows = [tls_flow(H, peers[i % 3], 443, ts=100.0 + 30.0 * i, sni="c2.rotate.example") for i in range(9)]
    (ind,) = Beaconing().run(context(flows))  # three addresses of 3 check-ins each: no channel series
    ev = ind.evidence
    assert ind.peer == ev["name"] == "c2.rotate.example" and ev["peers"] == list(peers) and ev["peer_count"] == 3
    assert abs(ev["median_interval"] - 30.0) < 0.01 and ev["connections"] == 9
