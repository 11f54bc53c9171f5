# @TEST-DOC: demo_office: an office: one host falls back to a dynamic-DNS C2 after NXDOMAIN, one uses SSH on 2222, four browse the web.
# Per capture: NAME.out says, per host of pcaps/labels.json, whether each indicator the labels expect ("yes") or
# forbid ("no") is in fallback.log and notice.log (Scripts/expect-labels), so it follows from the labels alone;
# NAME.fallback holds the full fallback.log columns, real Zeek output checked line by line against the labels
# (Scripts/label-baselines).
#
# @TEST-EXEC: run-scenario demo_office.pcap >demo_office.out
# @TEST-EXEC: btest-diff demo_office.out
# @TEST-EXEC: btest-diff demo_office.fallback
