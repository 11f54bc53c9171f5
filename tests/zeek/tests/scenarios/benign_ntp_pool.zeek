# @TEST-DOC: benign_ntp_pool: an NTP client's first pool server does not answer, the next pool servers do.
# Expected output follows from pcaps/labels.json (expected indicators: yes, absent ones: no): the output of a
# correct package, written from the labels with Scripts/expect-labels (a benign twin of a real app, added before
# it was run with real Zeek: `btest -U` confirms it, or the package must learn the app).
#
# @TEST-EXEC: run-scenario benign_ntp_pool_a.pcap >benign_ntp_pool_a.out
# @TEST-EXEC: run-scenario benign_ntp_pool_b.pcap >benign_ntp_pool_b.out
# @TEST-EXEC: btest-diff benign_ntp_pool_a.out
# @TEST-EXEC: btest-diff benign_ntp_pool_b.out
