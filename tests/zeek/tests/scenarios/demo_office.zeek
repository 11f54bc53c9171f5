# @TEST-DOC: demo_office: an office: one host falls back to a dynamic-DNS C2 after NXDOMAIN, one uses SSH on 2222, four browse the web.
# Expected output follows from pcaps/labels.json (expected indicators: yes, absent ones: no);
# the baseline is real Zeek 7.0.11 output that was checked against the labels.
#
# @TEST-EXEC: run-scenario demo_office.pcap >demo_office.out
# @TEST-EXEC: btest-diff demo_office.out
