# @TEST-DOC: benign_periodic_service: an OS connectivity check (HTTP) or a push-service heartbeat (TLS) at a fixed interval to a known service name.
# Expected output follows from pcaps/labels.json (expected indicators: yes, absent ones: no);
# the baseline was written from the labels (what a correct package prints), not yet from a real Zeek run.
#
# @TEST-EXEC: run-scenario benign_periodic_service_a.pcap >benign_periodic_service_a.out
# @TEST-EXEC: run-scenario benign_periodic_service_b.pcap >benign_periodic_service_b.out
# @TEST-EXEC: btest-diff benign_periodic_service_a.out
# @TEST-EXEC: btest-diff benign_periodic_service_b.out
