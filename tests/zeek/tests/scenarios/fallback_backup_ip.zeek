# @TEST-DOC: fallback_backup_ip: primary C2 IP refuses (RST, REJ) repeatedly, then TLS without SNI to a different bare IP that no DNS answer contains.
# Expected output follows from pcaps/labels.json (expected indicators: yes, absent ones: no);
# the baseline is real Zeek 7.0.11 output that was checked against the labels.
#
# @TEST-EXEC: run-scenario fallback_backup_ip_a.pcap >fallback_backup_ip_a.out
# @TEST-EXEC: run-scenario fallback_backup_ip_b.pcap >fallback_backup_ip_b.out
# @TEST-EXEC: btest-diff fallback_backup_ip_a.out
# @TEST-EXEC: btest-diff fallback_backup_ip_b.out
