# @TEST-DOC: fallback_payload_shape: a UDP implant's reports and polls get no answer; the same messages (two sizes, now behind a 2-byte length) go over TCP on an odd port to a server resolved long before: linked only by payload shape
# @TEST-KNOWN-FAILURE: real Zeek 7.0.11 pairs variant a by payload_shape, but the package has no test for an unidentified encrypted protocol on an odd port (nonstandard_port_encrypted needs a protocol Zeek confirms), and variant b's fallback reaches the 4 messages payload_shape needs 332 s after the failed UDP flow began, past fallback_window (5 min, counted from the start of the failed attempt)
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
