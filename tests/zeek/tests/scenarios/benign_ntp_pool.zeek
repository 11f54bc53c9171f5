# @TEST-DOC: benign_ntp_pool: an NTP client's first pool server does not answer, the next pool servers do.
# Per capture: NAME.out says, per host of pcaps/labels.json, whether each indicator the labels expect ("yes") or
# forbid ("no") is in fallback.log and notice.log (Scripts/expect-labels), so it follows from the labels alone;
# NAME.fallback holds the full fallback.log columns, real Zeek output checked line by line against the labels
# (Scripts/label-baselines).
#
# @TEST-EXEC: run-scenario benign_ntp_pool_a.pcap >benign_ntp_pool_a.out
# @TEST-EXEC: run-scenario benign_ntp_pool_b.pcap >benign_ntp_pool_b.out
# @TEST-EXEC: btest-diff benign_ntp_pool_a.out
# @TEST-EXEC: btest-diff benign_ntp_pool_b.out
# @TEST-EXEC: btest-diff benign_ntp_pool_a.fallback
# @TEST-EXEC: btest-diff benign_ntp_pool_b.fallback
