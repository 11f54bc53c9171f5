# @TEST-DOC: fallback_payload_shape: a UDP implant's reports and polls get no answer; the same messages (two sizes, now behind a 2-byte length) go over TCP on an odd port to a server resolved long before: linked only by payload shape
# Expected output follows from pcaps/labels.json (expected indicators: yes, absent ones: no);
# written by Scripts/label-baselines from the labels, to be confirmed with a real Zeek (btest -d).
# @TEST-KNOWN-FAILURE: the Zeek package has no payload-shape link (the analyzer's payload_shape), and unanswered datagrams to an unregistered UDP port are no primary there
#
# @TEST-EXEC: run-scenario fallback_payload_shape_a.pcap >fallback_payload_shape_a.out
# @TEST-EXEC: run-scenario fallback_payload_shape_b.pcap >fallback_payload_shape_b.out
# @TEST-EXEC: btest-diff fallback_payload_shape_a.out
# @TEST-EXEC: btest-diff fallback_payload_shape_b.out
