# @TEST-DOC: The package's tables (tables.zeek: FallbackChannels::read_table) are all read before the first packet: at the first connection every table holds its file's rows, including an operator's allowlist, after one "processing suspended" / "processing continued" pair. A missing file leaves its table empty with one warning naming it and processing still starts; a missing allowlist (none is shipped) warns nothing.
# @TEST-EXEC: printf '#fields\tentry\tkind\tindicators\treason\n192.0.2.0/24\tcidr\t*\tbtest\n' >allow.dat
# @TEST-EXEC: mkdir all && cd all && zeek -C -r $TRACES/fallback_dyndns_a.pcap $PACKAGE %INPUT "FallbackChannels::allowlist_file=../allow.dat" >out && zeek-cut level message <reporter.log >reporter.out
# @TEST-EXEC: mkdir missing && cd missing && zeek -C -r $TRACES/fallback_dyndns_a.pcap $PACKAGE %INPUT "FallbackChannels::dyndns_file=no-such.dat" >out && zeek-cut level message <reporter.log >reporter.out
# @TEST-EXEC: btest-diff all/out
# @TEST-EXEC: btest-diff all/reporter.out
# @TEST-EXEC: btest-diff missing/out
# @TEST-EXEC: btest-diff missing/reporter.out

global first = T;

event new_connection(c: connection)
	{
	if ( ! first )
		return;
	first = F;
	print "at the first connection:";
	print fmt("  dynamic DNS list: %s", |FallbackChannels::dyndns_suffixes| > 0);
	print fmt("  DoH resolvers (split into names and networks): %s",
	    |FallbackChannels::doh_resolver_names| > 0 && |FallbackChannels::doh_resolver_nets| > 0);
	print fmt("  internal zones: %s", |FallbackChannels::internal_zones| > 0);
	print fmt("  application ports: %s", |FallbackChannels::app_port_ranges| > 0);
	print fmt("  same-service ports: %s", |FallbackChannels::same_service_ports| > 0);
	for ( entry, e in FallbackChannels::allowlist_entries )
		print fmt("  allowlist: %s (%s, %s)", entry, e$kind, e$reason);
	if ( |FallbackChannels::allowlist_entries| == 0 )
		print "  allowlist: none";
	}
