# @TEST-DOC: benign_ntp_polling: an NTP client polling two pool servers at its poll interval.
# Per capture: NAME.out says, per host of pcaps/labels.json, whether each indicator the labels expect ("yes") or
# forbid ("no") is in fallback.log and notice.log (Scripts/expect-labels), so it follows from the labels alone;
# NAME.fallback holds the full fallback.log columns, real Zeek output checked line by line against the labels
# (Scripts/label-baselines).
#
# @TEST-EXEC: run-scenario benign_ntp_polling_a.pcap >benign_ntp_polling_a.out
# @TEST-EXEC: run-scenario benign_ntp_polling_b.pcap >benign_ntp_polling_b.out
# @TEST-EXEC: btest-diff benign_ntp_polling_a.out
# @TEST-EXEC: btest-diff benign_ntp_polling_b.out
# @TEST-EXEC: btest-diff benign_ntp_polling_a.fallback
# @TEST-EXEC: btest-diff benign_ntp_polling_b.fallback
