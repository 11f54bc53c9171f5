# @TEST-DOC: Option variant: with FallbackChannels::fallback_window shorter than the time between the primary's last failure and the fallback of fallback_port_a, the two are not paired.
# @TEST-KNOWN-FAILURE: no baseline yet: written while no Zeek 7 was at hand; run btest -U after reading the output
# @TEST-EXEC: fallback-cut default $TRACES/fallback_port_a.pcap >default.out
# @TEST-EXEC: fallback-cut variant $TRACES/fallback_port_a.pcap %INPUT >variant.out
# @TEST-EXEC: btest-diff default.out
# @TEST-EXEC: btest-diff variant.out

redef FallbackChannels::fallback_window = 5secs;
