##! dynamic_dns: an originator resolves a name under a dynamic DNS provider.
##!
##! The provider suffixes are read with the Input framework from
##! ``dyndns-providers.dat`` beside this script (one ``suffix`` per line, Zeek
##! input format). Operators extend the list by editing that file or by
##! pointing :zeek:see:`FallbackChannels::dyndns_file` at their own; the
##! file is re-read when it changes.

@load base/protocols/dns
@load ./main
@load ./tables

module FallbackChannels;

export {
	redef enum Notice::Type += {
		## A name under a dynamic DNS provider was resolved (dynamic_dns).
		Dynamic_DNS,
	};

	## The provider list (Input framework ASCII format, column ``suffix``).
	## Changing it at runtime takes effect at the next restart; edits to
	## the file itself are picked up live.
	option dyndns_file: string = @DIR + "/dyndns-providers.dat";

	## The provider suffixes read from :zeek:see:`FallbackChannels::dyndns_file`
	## (refreshed by the Input framework, never grows from traffic).
	global dyndns_suffixes: set[string] = set();
}

type SuffixIdx: record {
	suffix: string;
};

event zeek_init()
	{
	read_table("dynamic DNS list", [$source=dyndns_file,
	    $name="fallback-dyndns-providers", $idx=SuffixIdx,
	    $destination=dyndns_suffixes]);
	}

## The listed provider suffix *name* falls under, "" if none.
function dyndns_provider(name: string): string
	{
	return listed_suffix(name, dyndns_suffixes);
	}

event dns_request(c: connection, msg: dns_msg, query: string, qtype: count,
    qclass: count)
	{
	local provider = dyndns_provider(query);
	# The provider's own apex (e.g. "duckdns.org") is its web site, not a dynamic name.
	if ( provider == "" || provider == to_lower(query) )
		return;
	report(Finding($ts=network_time(), $uid=c$uid, $id=c$id,
	    $community_id=community_id(c), $note=Dynamic_DNS, $primary=to_lower(
	    query), $detail=fmt("name under dynamic DNS provider %s",
	    provider)));
	}
