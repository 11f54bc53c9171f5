# @TEST-DOC: fallback_prohibited_backup_name: the C2 server is refused by policy (ICMPv6 administratively prohibited) or its name SERVFAILs, then a backup name with the same label under another TLD takes over.
# Expected output follows from pcaps/labels.json (expected indicators: yes, absent ones: no).
# The baseline is what a correct package prints, derived from the labels: it has not been checked against a
# real Zeek run yet (issue 9: the package's causal pairing and failure kinds land with the Zeek package work).
#
# @TEST-EXEC: run-scenario fallback_prohibited_backup_name_a.pcap >fallback_prohibited_backup_name_a.out
# @TEST-EXEC: run-scenario fallback_prohibited_backup_name_b.pcap >fallback_prohibited_backup_name_b.out
# @TEST-EXEC: btest-diff fallback_prohibited_backup_name_a.out
# @TEST-EXEC: btest-diff fallback_prohibited_backup_name_b.out
