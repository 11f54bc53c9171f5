# @TEST-DOC: Option variant: FallbackChannels::dyndns_file pointed at an operator's list without the provider fallback_dyndns_a uses (duckdns.org): the list read is the operator's one entry, there is no dynamic_dns line, and the failed_then_fallback that only the dynamic-DNS name made odd (linked by follows_failure) is gone too.
# @TEST-EXEC: printf '#fields\tsuffix\nexample.invalid\n' >no-providers.dat
# @TEST-EXEC: fallback-cut default $TRACES/fallback_dyndns_a.pcap >default.out
# @TEST-EXEC: fallback-cut variant $TRACES/fallback_dyndns_a.pcap %INPUT >variant.out
# @TEST-EXEC: btest-diff default.out
# @TEST-EXEC: btest-diff variant.out
# @TEST-EXEC: btest-diff variant/zeek.stdout

redef FallbackChannels::dyndns_file = "../no-providers.dat";

event zeek_done()
	{
	print fmt("providers read: %d (example.invalid: %s, duckdns.org: %s)",
	    |FallbackChannels::dyndns_suffixes|,
	    "example.invalid" in FallbackChannels::dyndns_suffixes,
	    "duckdns.org" in FallbackChannels::dyndns_suffixes);
	}
