# @TEST-DOC: fallback_prohibited_backup_name: the C2 server is refused by policy (ICMPv6 administratively prohibited) or its name SERVFAILs, then a backup name with the same label under another TLD takes over.
# Per capture: NAME.out says, per host of pcaps/labels.json, whether each indicator the labels expect ("yes") or
# forbid ("no") is in fallback.log and notice.log (Scripts/expect-labels), so it follows from the labels alone;
# NAME.fallback holds the full fallback.log columns, real Zeek output checked line by line against the labels
# (Scripts/label-baselines).
#
# @TEST-EXEC: run-scenario fallback_prohibited_backup_name_a.pcap >fallback_prohibited_backup_name_a.out
# @TEST-EXEC: run-scenario fallback_prohibited_backup_name_b.pcap >fallback_prohibited_backup_name_b.out
# @TEST-EXEC: btest-diff fallback_prohibited_backup_name_a.out
# @TEST-EXEC: btest-diff fallback_prohibited_backup_name_b.out
# @TEST-EXEC: btest-diff fallback_prohibited_backup_name_a.fallback
# @TEST-EXEC: btest-diff fallback_prohibited_backup_name_b.fallback
