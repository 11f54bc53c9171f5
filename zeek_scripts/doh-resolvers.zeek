##! Public DNS-over-HTTPS / DNS-over-TLS resolvers, for failed_then_fallback's
##! ``doh_takeover`` link (plain DNS failed by policy, then encrypted DNS to a
##! public resolver takes over).
##!
##! The list is read with the Input framework from ``doh-resolvers.dat`` beside
##! this script (one ``resolver`` per line: a name, which matches itself and
##! every name under it, an address or a CIDR). It is generated from the
##! project's ``feeds/doh_resolvers.txt`` (``make feeds``), which records each
##! entry's source; the file is re-read when it changes.

@load ./main
@load ./tables

module FallbackChannels;

export {
	## The resolver list (Input framework ASCII format, column ``resolver``).
	option doh_file: string = @DIR + "/doh-resolvers.dat";

	## The entries read from :zeek:see:`FallbackChannels::doh_file`.
	global doh_resolver_entries: set[string] = set();

	## Resolver names and networks, split from the entries after each read.
	global doh_resolver_names: set[string] = set();
	global doh_resolver_nets: set[subnet] = set();

	## Whether *name* (or a name it falls under) or *a* is a public resolver.
	global doh_resolver: function(name: string, a: addr): bool;
}

type ResolverIdx: record {
	resolver: string;
};

const doh_stream = "fallback-doh-resolvers";

event zeek_init()
	{
	read_table("DoH resolver list", [$source=doh_file, $name=doh_stream,
	    $idx=ResolverIdx, $destination=doh_resolver_entries]);
	}

# After every read (the first and each re-read), split the entries.
event Input::end_of_data(name: string, source: string)
	{
	if ( name != doh_stream )
		return;
	local names: set[string] = set();
	local nets: set[subnet] = set();
	for ( e in doh_resolver_entries )
		{
		if ( /\// in e )
			add nets[to_subnet(e)];
		else if ( is_valid_ip(e) )
			add nets[to_subnet(fmt("%s/%d", e, is_v4_addr(to_addr(e)) ? 32 : 128))];
		else
			add names[to_lower(e)];
		}
	doh_resolver_names = names;
	doh_resolver_nets = nets;
	}

function doh_resolver(name: string, a: addr): bool
	{
	if ( a in doh_resolver_nets )
		return T;
	return listed_suffix(name, doh_resolver_names) != "";
	}
