# @TEST-DOC: fallback_proxy_backup_name: the web proxy refuses the implant's CONNECT to its C2 name (403 / 407), then the implant goes direct to a backup name: the same label under another TLD.
# Per capture: NAME.out says, per host of pcaps/labels.json, whether each indicator the labels expect ("yes") or
# forbid ("no") is in fallback.log and notice.log (Scripts/expect-labels), so it follows from the labels alone;
# NAME.fallback holds the full fallback.log columns, real Zeek output checked line by line against the labels
# (Scripts/label-baselines).
#
# @TEST-EXEC: run-scenario fallback_proxy_backup_name_a.pcap >fallback_proxy_backup_name_a.out
# @TEST-EXEC: run-scenario fallback_proxy_backup_name_b.pcap >fallback_proxy_backup_name_b.out
# @TEST-EXEC: btest-diff fallback_proxy_backup_name_a.out
# @TEST-EXEC: btest-diff fallback_proxy_backup_name_b.out
# @TEST-EXEC: btest-diff fallback_proxy_backup_name_a.fallback
# @TEST-EXEC: btest-diff fallback_proxy_backup_name_b.fallback
