# @TEST-DOC: fallback_payload_shape: a UDP implant's reports and polls get no answer; the same messages (two sizes, now behind a 2-byte length) go over TCP on an odd port to a server resolved long before: linked only by payload shape
# Per capture: NAME.out says, per host of pcaps/labels.json, whether each indicator the labels expect ("yes") or
# forbid ("no") is in fallback.log and notice.log (Scripts/expect-labels), so it follows from the labels alone;
# NAME.fallback holds the full fallback.log columns, real Zeek output checked line by line against the labels
# (Scripts/label-baselines).
#
# @TEST-EXEC: run-scenario fallback_payload_shape_a.pcap >fallback_payload_shape_a.out
# @TEST-EXEC: run-scenario fallback_payload_shape_b.pcap >fallback_payload_shape_b.out
# @TEST-EXEC: btest-diff fallback_payload_shape_a.out
# @TEST-EXEC: btest-diff fallback_payload_shape_b.out
# @TEST-EXEC: btest-diff fallback_payload_shape_a.fallback
# @TEST-EXEC: btest-diff fallback_payload_shape_b.fallback
