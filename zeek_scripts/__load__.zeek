##! fallback-hunt: detect malware falling back to another C2 channel (MITRE ATT&CK T1008).
##! Loads the shared log/notice/cluster plumbing and one script per indicator.

@load ./main
@load ./tables
@load ./random-payload-thresholds
@load ./app-ports
@load ./message-sizes
@load ./failed-then-fallback
@load ./dynamic-dns
@load ./doh-resolvers
@load ./internal-zones
@load ./nonstandard-port-encrypted
@load ./protocol-port-mismatch
@load ./protocol-switch
@load ./dns-tunnel
@load ./icmp-tunnel
@load ./intel-match
@load ./allowlist
