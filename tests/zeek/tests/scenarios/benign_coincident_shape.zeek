# @TEST-DOC: benign_coincident_shape: log lines to a dead external collector go unanswered; later an unrelated text protocol on an odd port carries messages of one of those sizes, or of both among many others: a coincidence, no fallback
# Per capture: NAME.out says, per host of pcaps/labels.json, whether each indicator the labels expect ("yes") or
# forbid ("no") is in fallback.log and notice.log (Scripts/expect-labels), so it follows from the labels alone;
# NAME.fallback holds the full fallback.log columns, real Zeek output checked line by line against the labels
# (Scripts/label-baselines).
#
# @TEST-EXEC: run-scenario benign_coincident_shape_a.pcap >benign_coincident_shape_a.out
# @TEST-EXEC: run-scenario benign_coincident_shape_b.pcap >benign_coincident_shape_b.out
# @TEST-EXEC: btest-diff benign_coincident_shape_a.out
# @TEST-EXEC: btest-diff benign_coincident_shape_b.out
# @TEST-EXEC: btest-diff benign_coincident_shape_a.fallback
# @TEST-EXEC: btest-diff benign_coincident_shape_b.fallback
