# @TEST-DOC: fallback_proxy_backup_name: the web proxy refuses the implant's CONNECT to its C2 name (403 / 407), then the implant goes direct to a backup name: the same label under another TLD.
# Expected output follows from pcaps/labels.json (expected indicators: yes, absent ones: no).
# The baseline is what a correct package prints, derived from the labels: it has not been checked against a
# real Zeek run yet (issue 9: the package's causal pairing and failure kinds land with the Zeek package work).
#
# @TEST-EXEC: run-scenario fallback_proxy_backup_name_a.pcap >fallback_proxy_backup_name_a.out
# @TEST-EXEC: run-scenario fallback_proxy_backup_name_b.pcap >fallback_proxy_backup_name_b.out
# @TEST-EXEC: btest-diff fallback_proxy_backup_name_a.out
# @TEST-EXEC: btest-diff fallback_proxy_backup_name_b.out
