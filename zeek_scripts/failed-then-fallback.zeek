##! failed_then_fallback: an originator fails to reach one channel (TCP S0,
##! REJ, RSTR/RSTOS0 without data, ICMP unreachable, NXDOMAIN/SERVFAIL) and
##! soon after works over another port, protocol or peer.
##!
##! Workers share attempts with the node that owns the originator (a proxy
##! chosen by HRW hashing in a cluster, the only node standalone); that node
##! keeps a short, bounded history per originator and pairs failures with
##! working attempts in both orders, so arrival order does not matter.

@load base/protocols/dns
@load ./main

module FallbackChannels;

export {
	## A working attempt at most this long after a failure is a fallback.
	option fallback_window: interval = 5min;

	## Failed attempts (SYN or datagram retries count) to one channel needed
	## before a working attempt elsewhere is a fallback.
	option min_failed_attempts: count = 2;

	## The working attempt must start at least this long after the first
	## failure, so racing connections (Happy Eyeballs) are not fallbacks.
	option min_fallback_delay: interval = 2secs;

	## Attempts remembered per originator; the oldest are dropped first.
	option max_attempts_per_orig: count = 64;

	## DNS response codes that make a lookup a failed attempt.
	option failed_rcodes: table[count] of string = {
		[2] = "SERVFAIL",
		[3] = "NXDOMAIN"
	};

	## Failed lookups of names under these suffixes are not failed attempts:
	## reverse lookups and names a resolver search list made up (e.g.
	## "www.example.com.corp.local") fail routinely and name no C2 channel.
	option ignored_lookup_suffixes: set[string] = {
		"in-addr.arpa",
		"ip6.arpa",
		"local",
		"localdomain",
		"home.arpa",
		"lan",
		"internal"
	};

	## Raised on the node owning *orig* when a worker saw *name* resolve to *a*.
	global name_resolved: event(orig: addr, a: addr, name: string);
}

# Per originator: its recent attempts (bounded by max_attempts_per_orig).
global attempts: table[addr] of vector of Attempt &read_expire=state_timeout;

# (originator, address) -> the DNS name the originator resolved it from.
global names: table[addr, addr] of string &create_expire=state_timeout;

## The channel an attempt used: the DNS name (or peer address) and port
## number, without transport, so QUIC and TLS to one service are one channel.
function channel_of(a: Attempt): string
	{
	local peer = a$domain != "" ? a$domain : cat(a$id$resp_h);
	if ( a$failure == "NXDOMAIN" || a$failure == "SERVFAIL" )
		return peer;
	return fmt("%s:%d", peer, port_to_count(a$id$resp_p));
	}

function describe(a: Attempt): string
	{
	local text = fmt("%s %s/%s", channel_of(a), a$proto, a$service != "" ?
	    a$service : "-");
	return a$failure != "" ? fmt("%s %s", text, a$failure) : text;
	}

## Report *ok* as the fallback of *fail* when timing, channels and the
## number of failed attempts say so.
function consider(fail: Attempt, ok: Attempt, history: vector of Attempt)
	{
	if ( ok$ts < fail$ts || ok$ts - fail$ts > fallback_window )
		return;
	local primary = channel_of(fail);
	if ( primary == channel_of(ok) )
		return;

	local n = 0;
	# The earliest failure on the channel names it, so the different ways
	# one channel failed (S0, then ICMP unreachable) make one finding.
	local earliest = fail;
	for ( _, a in history )
		if ( a$failure != ""
		    && channel_of(a) == primary
		    && a$ts <= ok$ts
		    && ok$ts - a$ts <= fallback_window )
			{
			n += a$attempts;
			if ( a$ts < earliest$ts )
				earliest = a;
			}
	local first = earliest$ts;
	if ( n < min_failed_attempts || ok$ts - first < min_fallback_delay )
		return;

	report(Finding($ts=ok$ts, $uid=ok$uid, $id=ok$id,
	    $community_id=ok$community_id, $indicator="failed_then_fallback",
	    $note=Failed_Then_Fallback, $primary=describe(earliest),
	    $fallback=describe(ok), $detail=fmt(
	    "%d failed attempts to %s, then %s after %.1fs", n, primary,
	    channel_of(ok), interval_to_double(ok$ts - first))));
	}

event FallbackChannels::attempt_seen(a: Attempt)
	{
	local orig = a$id$orig_h;
	if ( a$domain == "" && [orig, a$id$resp_h] in names )
		a$domain = names[orig, a$id$resp_h];

	if ( orig !in attempts )
		attempts[orig] = vector();
	local history = attempts[orig];
	history[|history|] = a;
	if ( |history| > max_attempts_per_orig )
		{
		history = history[|history| - max_attempts_per_orig :];
		attempts[orig] = history;
		}

	for ( _, other in history )
		{
		if ( a$ok && other$failure != "" )
			consider(other, a, history);
		else if ( a$failure != "" && other$ok )
			consider(a, other, history);
		}
	}

event FallbackChannels::name_resolved(orig: addr, a: addr, name: string)
	{
	names[orig, a] = name;
	}

function share_name(c: connection, ans: dns_answer, a: addr)
	{
	local name = to_lower(ans$query);
@if ( Cluster::is_enabled() )
	Cluster::publish_hrw(Cluster::proxy_pool, c$id$orig_h, name_resolved,
	    c$id$orig_h, a, name);
@else
	event FallbackChannels::name_resolved(c$id$orig_h, a, name);
@endif
	}

event dns_A_reply(c: connection, msg: dns_msg, ans: dns_answer, a: addr)
	{
	share_name(c, ans, a);
	}

event dns_AAAA_reply(c: connection, msg: dns_msg, ans: dns_answer, a: addr)
	{
	share_name(c, ans, a);
	}

# A failed lookup is a failed attempt to reach the name. Priority 0 runs
# before DNS::LOG is written (priority -5), while c$dns still holds the query.
event dns_end(c: connection, msg: dns_msg)
	{
	if ( ! msg$QR || msg$rcode !in failed_rcodes || ! c?$dns || ! c$dns?$query )
		return;
	local labels = split_string(to_lower(c$dns$query), /\./);
	for ( i in labels )
		if ( join_string_vec(labels[i:], ".") in ignored_lookup_suffixes )
			return;
	share_attempt(Attempt($ts=network_time(), $uid=c$uid, $id=c$id,
	    $community_id=community_id(c), $proto=get_port_transport_proto(
	    c$id$resp_p), $service="dns", $ok=F,
	    $failure=failed_rcodes[msg$rcode], $domain=to_lower(c$dns$query)));
	}

# ICMP destination unreachable about a packet an originator sent.
event icmp_unreachable(c: connection, info: icmp_info, code: count,
    context: icmp_context)
	{
	if ( context$bad_hdr_len )
		return;
	local proto = get_port_transport_proto(context$id$resp_p);
	if ( proto != tcp && proto != udp )
		return;
	if ( context$id$resp_p in ignored_ports )
		return;
	share_attempt(Attempt($ts=network_time(), $uid=c$uid, $id=context$id,
	    $community_id=community_id(c), $proto=proto, $ok=F, $failure=fmt(
	    "ICMP unreachable code %d", code)));
	}
