# @TEST-DOC: fallback_backup_ip: primary C2 IP refuses (RST, REJ) repeatedly, then TLS without SNI to a different bare IP that no DNS answer contains.
# Per capture: NAME.out says, per host of pcaps/labels.json, whether each indicator the labels expect ("yes") or
# forbid ("no") is in fallback.log and notice.log (Scripts/expect-labels), so it follows from the labels alone;
# NAME.fallback holds the full fallback.log columns, real Zeek output checked line by line against the labels
# (Scripts/label-baselines).
#
# @TEST-EXEC: run-scenario fallback_backup_ip_a.pcap >fallback_backup_ip_a.out
# @TEST-EXEC: run-scenario fallback_backup_ip_b.pcap >fallback_backup_ip_b.out
# @TEST-EXEC: btest-diff fallback_backup_ip_a.out
# @TEST-EXEC: btest-diff fallback_backup_ip_b.out
# @TEST-EXEC: btest-diff fallback_backup_ip_a.fallback
# @TEST-EXEC: btest-diff fallback_backup_ip_b.fallback
