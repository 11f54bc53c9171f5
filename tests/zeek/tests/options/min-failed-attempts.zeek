# @TEST-DOC: Option variant: with FallbackChannels::min_failed_attempts above the SYNs the primary of fallback_port_a got, its failed_then_fallback is gone; the default run beside it has it (and the nonstandard_port_encrypted line, which does not depend on the option).
# @TEST-KNOWN-FAILURE: no baseline yet: written while no Zeek 7 was at hand; run btest -U after reading the output
# @TEST-EXEC: fallback-cut default $TRACES/fallback_port_a.pcap >default.out
# @TEST-EXEC: fallback-cut variant $TRACES/fallback_port_a.pcap %INPUT >variant.out
# @TEST-EXEC: btest-diff default.out
# @TEST-EXEC: btest-diff variant.out

redef FallbackChannels::min_failed_attempts = 100;
