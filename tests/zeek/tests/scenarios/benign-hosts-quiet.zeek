# @TEST-DOC: Every capture of pcaps/labels.json (benign twins that fail over the way real apps do, the office demo): no failed_then_fallback, protocol_switch, dns_tunnel or icmp_tunnel line for a host labelled benign or investigate. Picks up new twins from the labels; asserted by Scripts/benign-quiet, not diffed against a baseline.
# @TEST-EXEC: benign-quiet-all labels >noise
# @TEST-EXEC: test ! -s noise
