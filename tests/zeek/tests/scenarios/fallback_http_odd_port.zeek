# @TEST-DOC: fallback_http_odd_port: primary fails, then periodic cleartext HTTP beacons (GET/POST) to a non-web port.
# Expected output follows from pcaps/labels.json (expected indicators: yes, absent ones: no);
# the baseline is real Zeek 7.0.11 output that was checked against the labels.
#
# @TEST-EXEC: run-scenario fallback_http_odd_port_a.pcap >fallback_http_odd_port_a.out
# @TEST-EXEC: run-scenario fallback_http_odd_port_b.pcap >fallback_http_odd_port_b.out
# @TEST-EXEC: btest-diff fallback_http_odd_port_a.out
# @TEST-EXEC: btest-diff fallback_http_odd_port_b.out
