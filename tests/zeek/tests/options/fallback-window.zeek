# @TEST-DOC: Option variant: FallbackChannels::fallback_window bounds how far back failures count for a fallback. fallback_port_a's fallback starts 79.5 s after the primary's first failure and 12.9 s after its last. With a 60 s window only the failures of the last minute are counted (fewer attempts, a shorter span in the detail); with 10 s, shorter than the gap after the last failure, the two are not paired at all. The nonstandard_port_encrypted line does not depend on the option.
# @TEST-EXEC: fallback-cut default $TRACES/fallback_port_a.pcap >default.out
# @TEST-EXEC: fallback-cut variant $TRACES/fallback_port_a.pcap %INPUT >variant.out
# @TEST-EXEC: fallback-cut variant-10s $TRACES/fallback_port_a.pcap -e "redef FallbackChannels::fallback_window = 10secs;" >variant-10s.out
# @TEST-EXEC: btest-diff default.out
# @TEST-EXEC: btest-diff variant.out
# @TEST-EXEC: btest-diff variant-10s.out

redef FallbackChannels::fallback_window = 60secs;
