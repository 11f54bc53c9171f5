# @TEST-DOC: benign_ntp_polling: an NTP client polling two pool servers at its poll interval.
# Expected output follows from pcaps/labels.json (expected indicators: yes, absent ones: no);
# the baseline was written from the labels (what a correct package prints), not yet from a real Zeek run.
#
# @TEST-EXEC: run-scenario benign_ntp_polling_a.pcap >benign_ntp_polling_a.out
# @TEST-EXEC: run-scenario benign_ntp_polling_b.pcap >benign_ntp_polling_b.out
# @TEST-EXEC: btest-diff benign_ntp_polling_a.out
# @TEST-EXEC: btest-diff benign_ntp_polling_b.out
