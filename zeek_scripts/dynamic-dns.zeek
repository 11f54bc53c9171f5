##! dynamic_dns: an originator resolves a name under a dynamic DNS provider.
##!
##! The provider suffixes are read with the Input framework from
##! ``dyndns-providers.dat`` beside this script (one ``suffix`` per line, Zeek
##! input format). Operators extend the list by editing that file or by
##! pointing :zeek:see:`FallbackChannels::dyndns_file` at their own; the
##! file is re-read when it changes.

@load base/frameworks/input
@load base/protocols/dns
@load ./main

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

# Whether packet processing waits for the first read of the list.
global waiting_for_list = F;

const dyndns_stream = "fallback-dyndns-providers";

event zeek_init()
	{
	if ( file_size(dyndns_file) < 0.0 )
		{
		Reporter::warning(fmt("FallbackChannels: dynamic DNS list %s not found",
		    dyndns_file));
		return;
		}
	# Hold packets until the list is loaded, so `zeek -r` sees it from the start.
	waiting_for_list = T;
	suspend_processing();
	Input::add_table([$source=dyndns_file, $name=dyndns_stream, $idx=SuffixIdx,
	    $destination=dyndns_suffixes, $mode=Input::REREAD]);
	}

event Input::end_of_data(name: string, source: string)
	{
	if ( name != dyndns_stream || ! waiting_for_list )
		return;
	waiting_for_list = F;
	continue_processing();
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
