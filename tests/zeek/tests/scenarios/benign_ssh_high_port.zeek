# @TEST-DOC: benign_ssh_high_port: SSH (banners, KEXINIT, encrypted packets) to an external server on a high port.
# Per capture: NAME.out says, per host of pcaps/labels.json, whether each indicator the labels expect ("yes") or
# forbid ("no") is in fallback.log and notice.log (Scripts/expect-labels), so it follows from the labels alone;
# NAME.fallback holds the full fallback.log columns, real Zeek output checked line by line against the labels
# (Scripts/label-baselines).
#
# @TEST-EXEC: run-scenario benign_ssh_high_port_a.pcap >benign_ssh_high_port_a.out
# @TEST-EXEC: run-scenario benign_ssh_high_port_b.pcap >benign_ssh_high_port_b.out
# @TEST-EXEC: btest-diff benign_ssh_high_port_a.out
# @TEST-EXEC: btest-diff benign_ssh_high_port_b.out
# @TEST-EXEC: btest-diff benign_ssh_high_port_a.fallback
# @TEST-EXEC: btest-diff benign_ssh_high_port_b.fallback
