# @TEST-DOC: Option variant: FallbackChannels::dyndns_file pointed at an operator's list without the provider fallback_dyndns_a uses: no dynamic_dns line, and the failed_then_fallback that the provider linked loses that link.
# @TEST-KNOWN-FAILURE: no baseline yet: written while no Zeek 7 was at hand; run btest -U after reading the output
# @TEST-EXEC: printf '#fields\tsuffix\nexample.invalid\n' >no-providers.dat
# @TEST-EXEC: fallback-cut default $TRACES/fallback_dyndns_a.pcap >default.out
# @TEST-EXEC: fallback-cut variant $TRACES/fallback_dyndns_a.pcap %INPUT >variant.out
# @TEST-EXEC: btest-diff default.out
# @TEST-EXEC: btest-diff variant.out

redef FallbackChannels::dyndns_file = "../no-providers.dat";
