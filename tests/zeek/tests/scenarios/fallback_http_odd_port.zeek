# @TEST-DOC: fallback_http_odd_port: primary fails, then periodic cleartext HTTP beacons (GET/POST) to a non-web port.
# Per capture: NAME.out says, per host of pcaps/labels.json, whether each indicator the labels expect ("yes") or
# forbid ("no") is in fallback.log and notice.log (Scripts/expect-labels), so it follows from the labels alone;
# NAME.fallback holds the full fallback.log columns, real Zeek output checked line by line against the labels
# (Scripts/label-baselines).
#
# @TEST-EXEC: run-scenario fallback_http_odd_port_a.pcap >fallback_http_odd_port_a.out
# @TEST-EXEC: run-scenario fallback_http_odd_port_b.pcap >fallback_http_odd_port_b.out
# @TEST-EXEC: btest-diff fallback_http_odd_port_a.out
# @TEST-EXEC: btest-diff fallback_http_odd_port_b.out
# @TEST-EXEC: btest-diff fallback_http_odd_port_a.fallback
# @TEST-EXEC: btest-diff fallback_http_odd_port_b.fallback
