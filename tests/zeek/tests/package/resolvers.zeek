# @TEST-DOC: The DoH/DoT resolver list (doh-resolvers.dat, generated from feeds/doh_resolvers.txt) is read through the Input framework before packets are processed and split into names and networks. The baseline was written from the list, not yet produced by a real Zeek.
# @TEST-EXEC: zeek -C -r $TRACES/benign_nas_dyndns_a.pcap $PACKAGE %INPUT >out
# @TEST-EXEC: btest-diff out

event zeek_done()
	{
	print fmt("resolver names loaded: %s", |FallbackChannels::doh_resolver_names| > 10);
	print fmt("cloudflare-dns.com: %s", FallbackChannels::doh_resolver("cloudflare-dns.com", 192.0.2.1));
	print fmt("a name under dns.google: %s", FallbackChannels::doh_resolver("x.dns.google", 192.0.2.1));
	print fmt("9.9.9.9: %s", FallbackChannels::doh_resolver("", 9.9.9.9));
	print fmt("an address in a listed network: %s", FallbackChannels::doh_resolver("", 45.90.28.7));
	print fmt("example.com at 192.0.2.1: %s", FallbackChannels::doh_resolver("example.com", 192.0.2.1));
	}
