# @TEST-DOC: benign_periodic_service: an OS connectivity check (HTTP) or a push-service heartbeat (TLS) at a fixed interval to a known service name.
# Per capture: NAME.out says, per host of pcaps/labels.json, whether each indicator the labels expect ("yes") or
# forbid ("no") is in fallback.log and notice.log (Scripts/expect-labels), so it follows from the labels alone;
# NAME.fallback holds the full fallback.log columns, real Zeek output checked line by line against the labels
# (Scripts/label-baselines).
#
# @TEST-EXEC: run-scenario benign_periodic_service_a.pcap >benign_periodic_service_a.out
# @TEST-EXEC: run-scenario benign_periodic_service_b.pcap >benign_periodic_service_b.out
# @TEST-EXEC: btest-diff benign_periodic_service_a.out
# @TEST-EXEC: btest-diff benign_periodic_service_b.out
# @TEST-EXEC: btest-diff benign_periodic_service_a.fallback
# @TEST-EXEC: btest-diff benign_periodic_service_b.fallback
