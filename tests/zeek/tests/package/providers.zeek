# @TEST-DOC: The dynamic DNS provider list is read through the Input framework before packets are processed.
# @TEST-EXEC: zeek -C -r $TRACES/benign_nas_dyndns_a.pcap $PACKAGE %INPUT >out
# @TEST-EXEC: btest-diff out

event zeek_done()
	{
	print fmt("providers loaded: %s", |FallbackChannels::dyndns_suffixes| > 10);
	print fmt("duckdns listed: %s", "duckdns.org" in FallbackChannels::dyndns_suffixes);
	}
