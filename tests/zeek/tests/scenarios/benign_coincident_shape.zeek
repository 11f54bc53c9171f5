# @TEST-DOC: benign_coincident_shape: log lines to a dead external collector go unanswered; later an unrelated text protocol on an odd port carries messages of one of those sizes, or of both among many others: a coincidence, no fallback
# Expected output follows from pcaps/labels.json (expected indicators: yes, absent ones: no);
# written by Scripts/label-baselines from the labels, to be confirmed with a real Zeek (btest -d).
#
# @TEST-EXEC: run-scenario benign_coincident_shape_a.pcap >benign_coincident_shape_a.out
# @TEST-EXEC: run-scenario benign_coincident_shape_b.pcap >benign_coincident_shape_b.out
# @TEST-EXEC: btest-diff benign_coincident_shape_a.out
# @TEST-EXEC: btest-diff benign_coincident_shape_b.out
