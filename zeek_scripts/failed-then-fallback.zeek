##! failed_then_fallback: an originator fails to reach one channel and soon
##! after works over another channel that is plausibly the same software's
##! next attempt.
##!
##! Failures: TCP S0, REJ, RSTR/RSTOS0 without data, a reset right after the
##! client spoke (a ClientHello), a fatal TLS alert from the server, a proxy
##! refusing CONNECT (403/407), ICMP/ICMPv6 unreachable (administratively
##! prohibited included), NXDOMAIN/SERVFAIL, and names answered with a
##! sinkhole address.
##!
##! Pairing is causal: the fallback starts after the failed attempts were
##! over, within :zeek:see:`FallbackChannels::fallback_window` of the last
##! one's end, and is linked to it (see
##! ``links``). Internal services, unanswered datagrams to unregistered UDP
##! ports (calls, games, P2P) and multi-port probe bursts are no primaries.
##! A failed channel pairs with one fallback and is reported once.
##!
##! Workers share attempts with the node that owns the originator (a proxy
##! chosen by HRW hashing in a cluster, the only node standalone); that node
##! keeps a short, bounded history per originator and pairs failures with
##! working attempts in both orders, so arrival order does not matter.

@load base/protocols/dns
@load base/protocols/http
@load base/protocols/ssl
@load ./main
@load ./dynamic-dns
@load ./dns-tunnel
@load ./doh-resolvers
@load ./internal-zones

module FallbackChannels;

export {
	redef enum Notice::Type += {
		## Failed attempts to one channel, then a working connection that is
		## plausibly the same software's next attempt (failed_then_fallback).
		Failed_Then_Fallback,
	};

	## A working attempt at most this long after the end of a failed
	## attempt (when its retries gave up, as the analyzer counts) is a
	## fallback.
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
		[3] = "NXDOMAIN",
		[5] = "REFUSED"
	};

	## Whether failures of peers in :zeek:see:`FallbackChannels::internal_nets`
	## (a PBX, a printer, an internal registrar) can be C2 primaries.
	option internal_primaries: bool = F;

	## Failures to this many distinct ports of one responder within
	## :zeek:see:`FallbackChannels::probe_burst_window` are a probe burst (a
	## NAT-type test, a port scan), not the failure of one channel.
	option probe_burst_ports: count = 3;

	## See :zeek:see:`FallbackChannels::probe_burst_ports`.
	option probe_burst_window: interval = 30secs;

	## HTTP status codes with which a proxy refuses a ``CONNECT``.
	option proxy_refusal_codes: set[count] = {
		403,
		407
	};

	## A DNS answer in these networks means the name was sinkholed (a
	## failed attempt to reach it).
	## (Add the block-page addresses of your DNS filter.)
	option sinkhole_nets: set[subnet] = {
		0.0.0.0/32,
		127.0.0.0/8,
		[::]/128,
		[::1]/128,
		# Cisco Umbrella / OpenDNS block pages.
		146.112.61.104/29
	};

	## A burst of at least this many distinct failed (NXDOMAIN), random
	## looking names within :zeek:see:`FallbackChannels::dga_window`, then a
	## name of the same shape that resolves and is used, is a
	## domain-generation fallback (``dga_burst``).
	option dga_min_names: count = 8;

	## See :zeek:see:`FallbackChannels::dga_min_names`.
	option dga_window: interval = 1min;

	## A registered-domain label looks generated when it is this long or
	## longer, letters and digits only, with at least
	## :zeek:see:`FallbackChannels::dga_min_entropy` bits per character.
	option dga_min_label: count = 8;

	## See :zeek:see:`FallbackChannels::dga_min_label`.
	option dga_min_entropy: double = 2.8;

	## Second-level labels under which two-letter country codes delegate
	## names (``example.co.uk``): the registered domain then has three labels.
	option public_second_levels: set[string] = {
		"co",
		"com",
		"net",
		"org",
		"gov",
		"edu",
		"ac",
		"or",
		"ne",
		"go"
	};

	## A client fingerprint links a failure to a fallback only when the
	## originator used it with at most this many peers in its history (a
	## browser's fingerprint, seen with every site, links nothing).
	option max_fingerprint_peers: count = 2;

	## Weight of each link between a failure and its fallback (the
	## analyzer's ``link_weights``); the pairing's confidence is
	## ``1 - prod(1 - weight)`` over its links.
	option link_weights: table[string] of double = {
		["same_peer"] = 0.9,
		["same_name"] = 0.85,
		["name_lineage"] = 0.8,
		["dga_burst"] = 0.85,
		["doh_takeover"] = 0.8,
		["hard_coded_ip"] = 0.7,
		["same_client_fingerprint"] = 0.6,
		["payload_shape"] = 0.5,
		["cadence"] = 0.4,
		["follows_failure"] = 0.3
	};

	## ``cadence`` links a fallback whose connections repeat at the interval
	## of the primary's failed attempts: the two median intervals are within
	## this fraction of the larger one, ...
	option cadence_tolerance: double = 0.2;

	## ... each measured over at least this many intervals ...
	option cadence_min_intervals: count = 2;

	## ... and at least this long (a check-in period, not parallel
	## connections).
	option cadence_min_interval: interval = 5secs;

	## ``payload_shape`` links a fallback that carries the failed attempts'
	## messages: two sizes are alike within this many bytes or
	## :zeek:see:`FallbackChannels::shape_tolerance_ratio` of the larger (a
	## length prefix added when a datagram protocol moves to a stream) ...
	option shape_tolerance_bytes: count = 8;

	## See :zeek:see:`FallbackChannels::shape_tolerance_bytes`.
	option shape_tolerance_ratio: double = 0.03;

	## ... at least this many distinct sizes of the failed attempts recur
	## on the fallback (one size alike is a coincidence) ...
	option shape_min_sizes: count = 2;

	## ... and the recurring sizes make up at least this share of the
	## messages on each side (a spread of sizes matches anything once).
	option shape_min_share: double = 0.6;

	## ``payload_shape`` judges a side only from this many messages on (the
	## share of two sizes among two or three messages says nothing; live,
	## the fallback's messages are those seen so far).
	option shape_min_messages: count = 4;

	## A fallback with nothing odd about it (a standard port, a name) needs
	## links of at least this confidence; an odd one (see ``anomalies``)
	## needs any link.
	option strong_link: double = 0.75;

	## Findings on the fallback connection that count without any link when
	## it starts at most :zeek:see:`FallbackChannels::unlinked_max_gap` after
	## the last failure (link ``follows_failure``).
	option strong_anomalies: set[string] = {
		"dns_tunnel",
		"icmp_tunnel",
		"dynamic_dns",
		"intel_match"
	};

	## See :zeek:see:`FallbackChannels::strong_anomalies`.
	option unlinked_max_gap: interval = 2min;

	## ``hard_coded_ip`` links a bare address to the failure only when the
	## primary was retried over at least this long, the address is used at
	## most :zeek:see:`FallbackChannels::hard_ip_max_gap` after the last
	## failure, and the originator talks to at most
	## :zeek:see:`FallbackChannels::max_bare_ip_peers` such addresses.
	option hard_ip_min_span: interval = 5secs;

	## See :zeek:see:`FallbackChannels::hard_ip_min_span`.
	option hard_ip_max_gap: interval = 2min;

	## See :zeek:see:`FallbackChannels::hard_ip_min_span`.
	option max_bare_ip_peers: count = 3;

	## Raised on the node owning *orig* when a worker saw *name* resolve to *a*.
	global name_resolved: event(orig: addr, a: addr, name: string);
}

# Per originator: its recent attempts (bounded by max_attempts_per_orig).
global attempts: table[addr] of vector of Attempt &read_expire=state_timeout;

# (originator, address) -> the DNS name the originator resolved it from.
global names: table[addr, addr] of string &create_expire=state_timeout;

# Query types of the lookups that try to reach a peer.
const address_qtypes: set[string] = {
	"A",
	"AAAA"
};

# "originator|channel" of failures already paired with a fallback.
global paired: set[string] &create_expire=report_interval;

## Whether the attempt is a failed name (lookup failed or sinkholed).
function name_failure(a: Attempt): bool
	{
	return a$failure == "NXDOMAIN"
	    || a$failure == "SERVFAIL"
	    || a$failure == "REFUSED"
	    || a$failure == "sinkholed";
	}

## The port an attempt's channel uses (for a proxy ``CONNECT``, the
## requested one).
function port_number(a: Attempt): count
	{
	return a$target_port > 0 ? a$target_port : port_to_count(a$id$resp_p);
	}

## The channel an attempt used: the DNS name (or peer address) and port
## number, without transport, so QUIC and TLS to one service are one channel.
function channel_of(a: Attempt): string
	{
	local peer = a$domain != "" ? a$domain : cat(a$id$resp_h);
	if ( name_failure(a) )
		return peer;
	return fmt("%s:%d", peer, port_number(a));
	}

function describe(a: Attempt): string
	{
	local text = fmt("%s %s/%s", channel_of(a), a$proto, a$service != "" ?
	    a$service : "-");
	return a$failure != "" ? fmt("%s %s", text, a$failure) : text;
	}

## The registered domain of *name*: its last two labels, three under a
## country code's public second level (``example.co.uk``).
function registered_domain(name: string): string
	{
	local labels = split_string(to_lower(name), /\./);
	local n = |labels|;
	if ( n < 3 )
		return to_lower(name);
	if ( |labels[n - 1]| == 2 && labels[n - 2] in public_second_levels )
		return join_string_vec(labels[n - 3 :], ".");
	return join_string_vec(labels[n - 2 :], ".");
	}

## Name lineage: *backup* is another registered domain than the failed
## *failed* with the same second-level label (``c2.example.com`` ->
## ``c2.example.net``), or the same label once its digits are removed, both
## carrying digits (``upd1-cdn.com`` -> ``upd7-cdn.org``). Names under one
## registered domain are one organisation's, not a backup.
function name_lineage(failed: string, backup: string): bool
	{
	if ( failed == "" || backup == "" )
		return F;
	local rf = registered_domain(failed);
	local rb = registered_domain(backup);
	if ( rf == rb )
		return F;
	local lf = split_string1(rf, /\./)[0];
	local lb = split_string1(rb, /\./)[0];
	if ( lf == lb )
		return T;
	local sf = gsub(lf, /[0-9]+/, "");
	return /[0-9]/ in lf
	    && /[0-9]/ in lb
	    && sf != ""
	    && sf == gsub(lb, /[0-9]+/, "");
	}

## When *a* was over: its last packet (a failed channel's retries gave up).
function attempt_end(a: Attempt): time
	{
	return a?$last_ts ? a$last_ts : a$ts;
	}

## Whether the failure *a* counts for a fallback starting at *ok*: it was
## over by then, at most :zeek:see:`FallbackChannels::fallback_window`
## before (the analyzer's rule: the window runs from the end of the failed
## attempts, so a channel retried for minutes still pairs).
function failed_before(a: Attempt, ok: time): bool
	{
	local end = attempt_end(a);
	return end <= ok && ok - end <= fallback_window;
	}

function time_apart(a: time, b: time): interval
	{
	return a > b ? a - b : b - a;
	}

## Whether the host a client asked a proxy for is an internal service (an
## internal address or name; a bracketed IPv6 literal is judged as outside).
function internal_target(host: string): bool
	{
	if ( is_valid_ip(host) )
		return is_internal(to_addr(host));
	return /^[a-z0-9_.-]+$/ == host && internal_name(host);
	}

## Whether the failure *fail* can be a C2 primary at all.
function primary_candidate(fail: Attempt, history: vector of Attempt): bool
	{
	if ( name_failure(fail) )
		return ! internal_name(fail$domain);
	# A refused proxy request: the peer is the requested host, not the proxy.
	if ( fail$target_port > 0 )
		return internal_primaries || ! internal_target(fail$domain);
	if ( ! internal_primaries && is_internal(fail$id$resp_h) )
		return F;
	local probed: set[port] = set();
	for ( _, a in history )
		if ( a$failure != ""
		    && ! name_failure(a)
		    && a$id$resp_h == fail$id$resp_h
		    && time_apart(a$ts, fail$ts) <= probe_burst_window )
			add probed[a$id$resp_p];
	return |probed| < probe_burst_ports;
	}

## Whether *a* is DNS failing by policy: a REFUSED answer, or a resolver's
## port that could not be reached.
function dns_policy_failure(a: Attempt): bool
	{
	return a$failure == "REFUSED"
	    || ( ! name_failure(a) && port_to_count(a$id$resp_p) == 53 );
	}

## The client fingerprints of *a*: its JA3 (or SSH banner, User-Agent) and
## its JA4.
function fingerprints(a: Attempt): set[string]
	{
	local out: set[string] = set();
	if ( a$client_fp != "" )
		add out[a$client_fp];
	if ( a$client_ja4 != "" )
		add out[a$client_ja4];
	return out;
	}

## The peer *a* talked to: its name, else its address (a proxy's clients
## reach many names through one address).
function peer_of(a: Attempt): string
	{
	return a$domain != "" ? a$domain : cat(a$id$resp_h);
	}

## Distinct other peers than those of *fail* and *ok* that the originator
## worked with using client fingerprint *fp* (the analyzer's rule).
function fingerprint_peers(fp: string, history: vector of Attempt,
    fail: Attempt, ok: Attempt): count
	{
	local peers: set[string] = set();
	for ( _, a in history )
		if ( a$ok && fp in fingerprints(a) )
			add peers[peer_of(a)];
	delete peers[peer_of(fail)];
	delete peers[peer_of(ok)];
	return |peers|;
	}

## The fingerprints of *fps* (seen on the failed attempts of *fail*'s
## channel) that *ok* shows too and that are rare on the originator.
function shared_fingerprints(fail: Attempt, fps: set[string], ok: Attempt,
    history: vector of Attempt): set[string]
	{
	local out: set[string] = set();
	for ( fp in fps )
		if ( fp in fingerprints(ok)
		    && fingerprint_peers(fp, history, fail, ok) <= max_fingerprint_peers )
			add out[fp];
	return out;
	}

## The name *a* is known by: the name it resolved from, else its SNI.
function name_of(a: Attempt): string
	{
	return a$domain != "" ? a$domain : a$sni;
	}

## Whether *a* goes straight to an outside peer (not through a proxy, not to
## an internal service).
function direct(a: Attempt): bool
	{
	return ! is_internal(a$id$resp_h) && a$target_port == 0;
	}

## Whether *ok* reaches what *fail* tried to reach: the same address (not for
## a failed lookup, whose connection is the resolver's, nor through a
## proxy), or a name under the same registered domain.
function same_target(fail: Attempt, ok: Attempt): bool
	{
	local name = name_of(ok);
	if ( fail$domain != ""
	    && name != ""
	    && registered_domain(fail$domain) == registered_domain(name) )
		return T;
	return ! name_failure(fail)
	    && fail$target_port == 0
	    && ok$target_port == 0
	    && ok$id$resp_h == fail$id$resp_h;
	}

## Outside addresses the originator worked with that no lookup returned and
## that the client named nothing for (hard-coded addresses).
function bare_ip_peers(history: vector of Attempt): count
	{
	local peers: set[addr] = set();
	for ( _, a in history )
		if ( a$ok && a$proto != icmp && direct(a) && name_of(a) == "" )
			add peers[a$id$resp_h];
	return |peers|;
	}

## What is odd about the working attempt *ok* after the failure *fail*:
## findings of the other detectors on it, dynamic DNS, a TCP port not
## customary for what it carried, a bare address after the primary's
## address or name died. Empty: it looks ordinary.
function anomalies(fail: Attempt, ok: Attempt): set[string]
	{
	local why: set[string] = set();
	for ( t in ok$tags )
		add why[t];
	local name = name_of(ok);
	local provider = name != "" ? dyndns_provider(name) : "";
	if ( provider != "" && provider != to_lower(name) )
		add why["dynamic_dns"];
	# UDP fallbacks (call media, VPNs and P2P pick UDP ports freely) are
	# odd only by the findings on them.
	if ( ok$proto != tcp || ! direct(ok) )
		return why;
	if ( ! customary_port(ok$id$resp_p, ok$service) )
		add why["nonstandard_port"];
	if ( name == "" && ( fail$domain == "" || name_failure(fail) ) )
		add why["bare_ip"];
	return why;
	}

## Why *ok* belongs to the failed channel of *fail* (the evidence that the two
## are one software's attempts; empty: nothing links them). *fps* are the
## client fingerprints seen on the failed channel, *span* how long the primary was
## retried, *gap* the time from its last failure to *ok*.
function links(fail: Attempt, fps: set[string], ok: Attempt, span: interval,
    gap: interval, history: vector of Attempt): set[string]
	{
	local why: set[string] = set();
	local name = name_of(ok);
	local via_proxy = fail$target_port > 0 || ok$target_port > 0;
	# A failed lookup's connection is the resolver's, not the peer's.
	if ( ! name_failure(fail) && ! via_proxy && ok$id$resp_h == fail$id$resp_h )
		add why["same_peer"];
	if ( fail$domain != ""
	    && name != ""
	    && registered_domain(fail$domain) == registered_domain(name) )
		add why["same_name"];
	else if ( name_lineage(fail$domain, name) )
		add why["name_lineage"];
	if ( dns_policy_failure(fail)
	    && ok$proto == tcp
	    && ( ok$id$resp_p == 443/tcp || ok$id$resp_p == 853/tcp )
	    && doh_resolver(name, ok$id$resp_h) )
		add why["doh_takeover"];
	if ( |shared_fingerprints(fail, fps, ok, history)| > 0 )
		add why["same_client_fingerprint"];
	# After a resolver could not be reached, what follows is DNS over
	# another path: only the links above count.
	if ( ! name_failure(fail) && port_to_count(fail$id$resp_p) == 53 )
		return why;
	# A hard-coded address (another one: the same server on a customary
	# port is its other service) after the primary's address or name died.
	if ( direct(ok)
	    && ok$proto != icmp
	    && name == ""
	    && ok$id$resp_h != fail$id$resp_h
	    && ( fail$domain == "" || name_failure(fail) )
	    && span >= hard_ip_min_span
	    && gap <= hard_ip_max_gap
	    && bare_ip_peers(history) <= max_bare_ip_peers )
		add why["hard_coded_ip"];
	return why;
	}

## Whether message sizes *a* and *b* are alike (see
## :zeek:see:`FallbackChannels::shape_tolerance_bytes`).
function alike(a: count, b: count): bool
	{
	local larger = a > b ? a : b;
	local diff = a > b ? a - b : b - a;
	return diff <= shape_tolerance_bytes
	    || diff <= shape_tolerance_ratio * larger;
	}

## Whether one of *sizes* is alike *size*.
function any_alike(size: count, sizes: vector of count): bool
	{
	for ( _, other in sizes )
		if ( alike(size, other) )
			return T;
	return F;
	}

## Whether the fallback's messages *after* are the failed attempts' *before*
## (the analyzer's ``payload_shape``): at least
## :zeek:see:`FallbackChannels::shape_min_sizes` distinct sizes recur, and
## they make up :zeek:see:`FallbackChannels::shape_min_share` of the
## messages on each side.
function same_shape(before: vector of count, after: vector of count): bool
	{
	if ( |before| < shape_min_messages || |after| < shape_min_messages )
		return F;
	local distinct: vector of count = vector();
	local ordered = copy(before);
	sort(ordered);
	for ( _, size in ordered )
		if ( |distinct| == 0 || ! alike(distinct[|distinct| - 1], size) )
			distinct[|distinct|] = size;
	local matched: vector of count = vector();
	for ( _, size in distinct )
		if ( any_alike(size, after) )
			matched[|matched|] = size;
	if ( |matched| < shape_min_sizes )
		return F;
	local hits_before = 0;
	for ( _, size in before )
		if ( any_alike(size, matched) )
			++hits_before;
	local hits_after = 0;
	for ( _, size in after )
		if ( any_alike(size, matched) )
			++hits_after;
	return hits_before >= shape_min_share * |before|
	    && hits_after >= shape_min_share * |after|;
	}

function compare_doubles(a: double, b: double): int
	{
	return a < b ? -1 : ( a > b ? 1 : 0 );
	}

## The median of the gaps between the distinct times of *times* (0 when
## there are fewer than *need* gaps).
function median_gap(times: vector of time, need: count): interval
	{
	local at: vector of double = vector();
	for ( _, t in times )
		at[|at|] = time_to_double(t);
	sort(at, compare_doubles);
	local gaps: vector of double = vector();
	for ( i in at )
		if ( i > 0 && at[i] > at[i - 1] )
			gaps[|gaps|] = at[i] - at[i - 1];
	if ( |gaps| == 0 || |gaps| < need )
		return 0secs;
	sort(gaps, compare_doubles);
	local n = |gaps|;
	local m = n % 2 == 1 ? gaps[n / 2] : ( gaps[n / 2 - 1] + gaps[n / 2] ) / 2.0;
	return double_to_interval(m);
	}

## Whether the failed attempts at *failed* and the fallback's connections
## at *working* repeat at the same interval (the analyzer's ``cadence``).
function same_cadence(failed: vector of time, working: vector of time): bool
	{
	local before = median_gap(failed, cadence_min_intervals);
	local after = median_gap(working, cadence_min_intervals);
	if ( before < cadence_min_interval || after < cadence_min_interval )
		return F;
	local larger = before > after ? before : after;
	return time_apart(double_to_time(interval_to_double(before)), double_to_time(
	    interval_to_double(after))) <= larger * cadence_tolerance;
	}

## The confidence of a pairing with *why*: ``1 - prod(1 - weight)``.
function link_confidence(why: set[string]): double
	{
	local miss = 1.0;
	for ( w in why )
		if ( w in link_weights )
			miss = miss * ( 1.0 - link_weights[w] );
	return 1.0 - miss;
	}

## Report *ok* as the fallback of *fail* when order, window, number of
## failed attempts and the links say so: an odd fallback needs any link, an
## ordinary one links of :zeek:see:`FallbackChannels::strong_link`
## confidence, and a strongly anomalous one (a tunnel, dynamic DNS, intel)
## that follows the failure closely none.
function consider(fail: Attempt, ok: Attempt, history: vector of Attempt)
	{
	if ( ! failed_before(fail, ok$ts) )
		return;
	local primary = channel_of(fail);
	if ( primary == channel_of(ok) )
		return;
	local key = cat(fail$id$orig_h, "|", primary);
	if ( key in paired || ! primary_candidate(fail, history) )
		return;

	local n = 0;
	local kinds: set[string] = set();
	local fps: set[string] = set();
	# The earliest failure on the channel names it, so the different ways
	# one channel failed (S0, then ICMP unreachable) make one finding. Only
	# failures that were over when the fallback started count.
	local earliest = fail;
	local latest = attempt_end(fail);
	# Lookups of a name count per query type: an A and an AAAA question
	# asked together are one attempt to reach it (the analyzer's rule).
	local per_qtype: table[string] of count = table();
	for ( _, a in history )
		if ( a$failure != "" && channel_of(a) == primary && failed_before(a, ok$ts) )
			{
			if ( a$qtype == "" )
				n += a$attempts;
			else
				per_qtype[a$qtype] = ( a$qtype in per_qtype ? per_qtype[a$qtype] : 0 ) +
				    a$attempts;
			add kinds[a$failure];
			for ( f in fingerprints(a) )
				add fps[f];
			if ( a$ts < earliest$ts )
				earliest = a;
			if ( attempt_end(a) > latest )
				latest = attempt_end(a);
			}
	local most = 0;
	for ( _, k in per_qtype )
		if ( k > most )
			most = k;
	n += most;
	local first = earliest$ts;
	if ( n < min_failed_attempts || ok$ts - first < min_fallback_delay )
		return;
	# The same target again, on the same customary port (another server of a
	# CDN, the other address of one name) or on another port of one service
	# (IMAPS then IMAP with STARTTLS, a push service's port then 443): the
	# failed channel's ordinary continuation, not a fallback.
	local same_port = port_number(ok) == port_number(earliest)
	    && customary_port(ok$id$resp_p, ok$service);
	local same_service = same_port
	    || one_service(earliest$id$resp_p, ok$id$resp_p);
	if ( same_service
	    && same_target(earliest, ok)
	    && ! name_failure(earliest)
	    && |ok$tags| == 0 )
		return;
	local gap = ok$ts - latest;
	local odd = anomalies(earliest, ok);
	local why = links(earliest, fps, ok, latest - first, gap, history);
	# The fallback's connections so far, against the failed attempts: their
	# timing and the client's message sizes (a failed lookup's or a refused
	# proxy request's messages are the resolver's or the proxy's).
	local failed_at: vector of time = vector();
	local working_at: vector of time = vector();
	local sent_before: vector of count = vector();
	local sent_after: vector of count = vector();
	local fallback = channel_of(ok);
	for ( _, a in history )
		{
		if ( a$failure != "" && channel_of(a) == primary && failed_before(a, ok$ts) )
			{
			failed_at[|failed_at|] = a$ts;
			sent_before += a$sizes;
			}
		else if ( a$ok
		    && a$ts >= first
		    && a$ts <= ok$ts
		    && channel_of(a) == fallback )
			{
			working_at[|working_at|] = a$ts;
			sent_after += a$sizes;
			}
		}
	if ( same_cadence(failed_at, working_at) )
		add why["cadence"];
	if ( ! name_failure(earliest)
	    && earliest$target_port == 0
	    && same_shape(sent_before, sent_after) )
		add why["payload_shape"];
	# Unanswered datagrams to a port no analyzer registers are calls, games
	# and P2P probing their peers (ICE), not a channel that died, unless
	# the fallback carries the same messages.
	if ( earliest$proto == udp
	    && earliest$id$resp_p !in likely_server_ports
	    && "payload_shape" !in why )
		return;
	if ( |why| == 0 && gap <= unlinked_max_gap )
		for ( t in odd )
			if ( t in strong_anomalies )
				add why["follows_failure"];
	local confidence = link_confidence(why);
	if ( |why| == 0 || ( |odd| == 0 && confidence < strong_link ) )
		return;

	add paired[key];
	# Name the client fingerprints that link the two (JA3, JA4, ...).
	local client = "";
	if ( "same_client_fingerprint" in why )
		client = fmt(" (same client: %s)", join_string_set(shared_fingerprints(
		    earliest, fps, ok, history), ", "));
	report(Finding($ts=ok$ts, $uid=ok$uid, $id=ok$id,
	    $community_id=ok$community_id, $note=Failed_Then_Fallback,
	    $primary=describe(earliest), $fallback=describe(ok), $detail=fmt("%d failed attempts to %s (%s), then %s %.1fs after the last failure (%.1fs after the first); linked by %s%s; %s; confidence %.2f",
	    n, primary, join_string_set(kinds, ","), channel_of(ok),
	    interval_to_double(gap), interval_to_double(ok$ts - first),
	    join_string_set(why, ","), client, |odd| > 0 ? "odd: " +
	    join_string_set(odd, ",") : "on a standard port, strongly linked",
	    confidence)));
	}

## Whether the registered-domain label of *name* looks generated.
function random_label(name: string): bool
	{
	local label = split_string1(registered_domain(name), /\./)[0];
	return |label| >= dga_min_label
	    && /[a-z0-9]+/ == label
	    && label_entropy(label) >= dga_min_entropy;
	}

## The top-level label of *name*.
function tld_of(name: string): string
	{
	local labels = split_string(name, /\./);
	return labels[|labels| - 1];
	}

## Report *ok* as the end of a domain-generation burst: many one-shot,
## random-looking names failed just before, and *ok* uses a name of the same
## shape (same top-level domain) that resolved.
function consider_dga(ok: Attempt, history: vector of Attempt)
	{
	if ( ok$domain == "" || ! random_label(ok$domain) )
		return;
	local key = cat(ok$id$orig_h, "|dga");
	if ( key in paired )
		return;
	local failed: set[string] = set();
	local tlds: set[string] = set();
	local sample: vector of string = vector();
	local first = ok$ts;
	local last = ok$ts - dga_window;
	for ( _, a in history )
		if ( a$failure == "NXDOMAIN"
		    && a$ts <= ok$ts
		    && ok$ts - a$ts <= dga_window
		    && a$domain !in failed
		    && random_label(a$domain) )
			{
			add failed[a$domain];
			add tlds[tld_of(a$domain)];
			if ( |sample| < 3 )
				sample[|sample|] = a$domain;
			if ( a$ts < first )
				first = a$ts;
			if ( a$ts > last )
				last = a$ts;
			}
	if ( |failed| < dga_min_names || tld_of(ok$domain) !in tlds )
		return;
	add paired[key];
	report(Finding($ts=ok$ts, $uid=ok$uid, $id=ok$id,
	    $community_id=ok$community_id, $note=Failed_Then_Fallback,
	    $primary=fmt("DGA burst of %d names (%s, ...) NXDOMAIN", |failed|,
	    join_string_vec(sample, ", ")), $fallback=describe(ok), $detail=fmt("%d random-looking names failed within %.1fs, then %s resolved and was used %.1fs after the last failure; linked by dga_burst; confidence %.2f",
	    |failed|, interval_to_double(last - first), ok$domain,
	    interval_to_double(ok$ts - last), link_confidence(set(
	    "dga_burst")))));
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

	if ( a$ok )
		consider_dga(a, history);
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
	# A sinkholed name is a failed attempt to reach it.
	if ( a in sinkhole_nets )
		{
		if ( ! internal_name(name) )
			share_attempt(Attempt($ts=network_time(), $uid=c$uid, $id=c$id,
			    $community_id=community_id(c),
			    $proto=get_port_transport_proto(c$id$resp_p),
			    $service="dns", $ok=F, $failure="sinkholed",
			    $domain=name, $qtype=c$dns
			    ?$qtype_name ? c$dns$qtype_name : "A"));
		return;
		}
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
	# Only address lookups try to reach a peer (a missing SRV, TXT or PTR
	# record is no dead channel).
	if ( ! c$dns?$qtype_name || c$dns$qtype_name !in address_qtypes )
		return;
	if ( internal_name(c$dns$query) )
		return;
	share_attempt(Attempt($ts=network_time(), $uid=c$uid, $id=c$id,
	    $community_id=community_id(c), $proto=get_port_transport_proto(
	    c$id$resp_p), $service="dns", $ok=F,
	    $failure=failed_rcodes[msg$rcode], $domain=to_lower(c$dns$query),
	    $qtype=c$dns$qtype_name));
	}

# ICMP (or ICMPv6) destination unreachable about a packet an originator sent.
event icmp_unreachable(c: connection, info: icmp_info, code: count,
    context: icmp_context)
	{
	if ( context$bad_hdr_len )
		return;
	local proto = get_port_transport_proto(context$id$resp_p);
	if ( proto != tcp && proto != udp )
		return;
	# Unreachable resolvers count (DNS blocked by policy never answers).
	if ( context$id$resp_p in ignored_ports
	    && port_to_count(context$id$resp_p) != 53 )
		return;
	# Administratively prohibited: codes 9, 10, 13 (ICMP), 1 (ICMPv6).
	local prohibited = info$v6 ? code == 1 : code in set(9, 10, 13);
	share_attempt(Attempt($ts=network_time(), $uid=c$uid, $id=context$id,
	    $community_id=community_id(c), $proto=proto, $ok=F, $failure=fmt(
	    "ICMP unreachable code %d%s", code, prohibited ?
	    " (administratively prohibited)" : "")));
	}

# A fatal alert from the server before the session was set up: an
# inspecting firewall or a server refusing the client.
event ssl_alert(c: connection, is_client: bool, level: count, desc: count)
	{
	if ( is_client || level != 2 || ( c?$ssl && c$ssl$established ) )
		return;
	c$fallback_failure = fmt("TLS fatal alert %d", desc);
	}

event http_reply(c: connection, version: string, code: count, reason: string)
	{
	if ( ! c?$fallback_target )
		return;
	# The proxy let the client through (after a 407, with credentials, on
	# the same connection): the channel works.
	if ( code >= 200 && code < 300 )
		{
		delete c$fallback_failure;
		delete c$fallback_failures;
		return;
		}
	if ( code !in proxy_refusal_codes )
		return;
	c$fallback_failure = fmt("proxy refused CONNECT (%d)", code);
	c$fallback_failures = c?$fallback_failures ? c$fallback_failures + 1 : 1;
	}
