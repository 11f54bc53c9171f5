# @TEST-DOC: Option variant: FallbackChannels::min_failed_attempts one above the 16 failed attempts (SYNs) that the default run counts for fallback_port_a's primary: its failed_then_fallback is gone; the nonstandard_port_encrypted line, which does not depend on the option, stays.
# @TEST-EXEC: fallback-cut default $TRACES/fallback_port_a.pcap >default.out
# @TEST-EXEC: fallback-cut variant $TRACES/fallback_port_a.pcap %INPUT >variant.out
# @TEST-EXEC: btest-diff default.out
# @TEST-EXEC: btest-diff variant.out

redef FallbackChannels::min_failed_attempts = 17;
