##! dns_tunnel: DNS queries from one originator under one domain that look
##! like a tunnel: long names, high-entropy labels, tunnel-typical query
##! types (NULL), or very many unique subdomains. Workers measure each query;
##! the node owning the originator aggregates per (originator, domain).
##! A detected tunnel is also shared as a working attempt, so a tunnel that
##! follows failed connections is reported as failed_then_fallback too.

@load base/protocols/dns
@load ./main

module FallbackChannels;

export {
	redef enum Notice::Type += {
		## DNS queries to one domain look like a tunnel (dns_tunnel).
		DNS_Tunnel,
	};

	## Aggregation window per (originator, domain).
	option dns_window: interval = 10min;

	## A query name at least this long is suspicious.
	option dns_long_query: count = 52;

	## Subdomain parts at least this long are checked for entropy.
	option dns_min_subdomain_len: count = 20;

	## Shannon entropy (bits per character) of the subdomain part above
	## which a query is suspicious.
	option dns_min_entropy: double = 3.6;

	## Query types typical of tunnels (10 = NULL).
	option dns_tunnel_qtypes: set[count] = {10};

	## Suspicious queries per (originator, domain) and window that make a tunnel.
	option dns_min_suspicious: count = 3;

	## Unique subdomains per (originator, domain) and window that make a
	## tunnel on their own.
	option dns_unique_subdomains: count = 100;

	## Labels that form the registered domain (2: "example.com").
	option dns_domain_labels: count = 2;

	## Names under these suffixes are never tunnels (reverse and local lookups).
	option dns_ignored_suffixes: set[string] = {
		"in-addr.arpa",
		"ip6.arpa",
		"local"
	};

	## Raised on the node owning *a$id$orig_h* for every measured query.
	global dns_query_seen: event(a: Attempt, domain: string, subdomain: string,
	    qtype: count, suspicious: bool);
}

type DnsAggregate: record {
	queries: count &default=0;
	suspicious: count &default=0;
	subdomains: set[string] &default=set();
	reported: bool &default=F;
};

# (originator, domain) -> what its queries looked like in the window.
global dns_aggregates: table[addr, string] of DnsAggregate
    &create_expire=dns_window;

## Shannon entropy of the characters of *s*, in bits per character.
function label_entropy(s: string): double
	{
	if ( |s| == 0 )
		return 0.0;
	local counts: table[string] of count = table();
	for ( ch in s )
		counts[ch] = ch in counts ? counts[ch] + 1 : 1;
	local h = 0.0;
	for ( _, n in counts )
		{
		local p = n / ( |s| + 0.0 );
		h -= p * log2(p);
		}
	return h;
	}

## The registered domain of *labels* (its last dns_domain_labels labels).
function domain_of(labels: vector of string): string
	{
	local n = |labels| > dns_domain_labels ? dns_domain_labels : |labels|;
	return join_string_vec(labels[|labels| - n :], ".");
	}

function ignored_name(labels: vector of string): bool
	{
	for ( i in labels )
		if ( join_string_vec(labels[i:], ".") in dns_ignored_suffixes )
			return T;
	return F;
	}

## Whether *label* can be a top-level domain: letters only, or an IDN
## (``xn--``) label. Anything else cannot be resolved through the DNS tree.
function tld_like(label: string): bool
	{
	return /[a-z]+|xn--[a-z0-9-]+/ == label;
	}

event dns_request(c: connection, msg: dns_msg, query: string, qtype: count,
    qclass: count)
	{
	local name = to_lower(query);
	local labels = split_string(name, /\./);
	if ( |labels| < 2 || ignored_name(labels) )
		return;
	local domain = "";
	local data = "";
	if ( tld_like(labels[|labels| - 1]) )
		{
		if ( |labels| <= dns_domain_labels )
			return;
		domain = domain_of(labels);
		data = join_string_vec(labels[: |labels| - dns_domain_labels], "");
		}
	else
		{
		# No real top-level domain: the name goes straight to a server that
		# answers anything (a tunnel without a domain of its own, e.g.
		# dnscat2's direct mode). The data is the last label, the labels
		# before it name the channel.
		domain = join_string_vec(labels[: |labels| - 1], ".");
		data = labels[|labels| - 1];
		}
	local suspicious = |name| >= dns_long_query
	    || qtype in dns_tunnel_qtypes
	    || ( |data| >= dns_min_subdomain_len && label_entropy(data) >= dns_min_entropy );
	local a = Attempt($ts=network_time(), $uid=c$uid, $id=c$id,
	    $community_id=community_id(c), $proto=get_port_transport_proto(
	    c$id$resp_p), $service="dns", $ok=T, $domain=domain);
@if ( Cluster::is_enabled() )
	Cluster::publish_hrw(Cluster::proxy_pool, c$id$orig_h, dns_query_seen, a,
	    domain, data, qtype, suspicious);
@else
	event FallbackChannels::dns_query_seen(a, domain, data, qtype, suspicious);
@endif
	}

event FallbackChannels::dns_query_seen(a: Attempt, domain: string,
    subdomain: string, qtype: count, suspicious: bool)
	{
	local orig = a$id$orig_h;
	if ( [orig, domain] !in dns_aggregates )
		dns_aggregates[orig, domain] = DnsAggregate();
	local agg = dns_aggregates[orig, domain];
	if ( agg$reported )
		return;
	agg$queries += 1;
	# A tunnel carries new data in every query: a repeated name (retries,
	# A and AAAA of one name) counts as suspicious once.
	local fresh = subdomain !in agg$subdomains;
	if ( suspicious && fresh )
		agg$suspicious += 1;
	if ( |agg$subdomains| < dns_unique_subdomains )
		add agg$subdomains[subdomain];
	if ( agg$suspicious < dns_min_suspicious
	    && |agg$subdomains| < dns_unique_subdomains )
		return;

	agg$reported = T;
	report(Finding($ts=a$ts, $uid=a$uid, $id=a$id, $community_id=a$community_id,
	    $note=DNS_Tunnel, $primary=fmt("dns %s", domain), $detail=fmt(
	    "%d queries, %d suspicious, %d unique subdomains (last qtype %d)",
	    agg$queries, agg$suspicious, |agg$subdomains|, qtype)));
	# The tunnel is a working channel for failed_then_fallback.
	a$tags = set("dns_tunnel");
	event FallbackChannels::attempt_seen(a);
	}
