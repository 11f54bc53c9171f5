# @TEST-DOC: benign_ssh_high_port: SSH (banners, KEXINIT, encrypted packets) to an external server on a high port.
# Expected output follows from pcaps/labels.json (expected indicators: yes, absent ones: no);
# the baseline is real Zeek 7.0.11 output that was checked against the labels.
#
# @TEST-EXEC: run-scenario benign_ssh_high_port_a.pcap >benign_ssh_high_port_a.out
# @TEST-EXEC: run-scenario benign_ssh_high_port_b.pcap >benign_ssh_high_port_b.out
# @TEST-EXEC: btest-diff benign_ssh_high_port_a.out
# @TEST-EXEC: btest-diff benign_ssh_high_port_b.out
