##! Shared plumbing of the FallbackChannels package: the ``fallback.log`` stream,
##! the notice types, de-duplication of findings, and the record every worker
##! sends to the proxy that owns an originator (or handles locally when Zeek
##! runs standalone, e.g. ``zeek -r``).

@load base/frameworks/cluster
@load base/frameworks/notice
@load base/protocols/conn
@load base/protocols/http
@load base/protocols/ssh
@load base/protocols/ssl
@load policy/protocols/conn/community-id-logging
@load policy/frameworks/notice/community-id
@load ./app-ports

module FallbackChannels;

export {
	## The fallback.log stream.
	redef enum Log::ID += { LOG };

	## Default logging policy hook for the stream.
	global log_policy: Log::PolicyHook;

	## One finding. The columns are the same as the fallback.log that the
	## fallback-hunt Python analyzer writes, so one reader serves both.
	type Info: record {
		## When the finding's evidence was seen.
		ts: time &log;
		## Zeek uid of the connection the finding is about.
		uid: string &log;
		## Community ID v1 of that connection, when known.
		community_id: string &log &optional;
		## The connection's endpoints.
		id: conn_id &log;
		## Indicator name, as in the analyzer: failed_then_fallback,
		## dynamic_dns, nonstandard_port_encrypted, protocol_switch,
		## protocol_port_mismatch, dns_tunnel, icmp_tunnel, intel_match.
		indicator: string &log;
		## The channel that was used first (or the only channel involved).
		primary: string &log;
		## The channel used after the primary one failed or changed.
		fallback: string &log;
		## Human-readable details (counts, thresholds crossed).
		detail: string &log;
	};

	## Raised with every fallback.log line.
	global log_fallback: event(rec: Info);

	## A finding before it is logged and noticed. Each detector script
	## declares its own ``Notice::Type``; the indicator name of the log line
	## is the notice's name in lower case (see
	## :zeek:see:`FallbackChannels::indicator_name`).
	type Finding: record {
		ts: time;
		uid: string;
		id: conn_id;
		community_id: string &default="";
		note: Notice::Type;
		primary: string;
		fallback: string &default="";
		detail: string &default="";
	};

	## Repeated findings with the same originator, indicator, primary and
	## fallback are logged and noticed once per this interval.
	option report_interval: interval = 1hr;

	## How long per-originator state lives without being refreshed. Every
	## table of the package expires, so hostile traffic cannot grow memory.
	option state_timeout: interval = 15min;

	## The indicator name of notice *note*: its name without the module, in
	## lower case (``FallbackChannels::DNS_Tunnel`` -> ``dns_tunnel``).
	global indicator_name: function(note: Notice::Type): string;

	## Write a fallback.log line (and raise the notice) unless the same
	## finding was reported within :zeek:see:`FallbackChannels::report_interval`.
	global report: function(f: Finding);

	## Consulted before a finding is reported; a handler that breaks drops
	## it (the allowlist script does, for allowlisted hosts, peers, names).
	global finding_policy: hook(f: Finding);

	## Raised on the node owning the originator of *f* (a proxy, chosen as
	## for :zeek:see:`FallbackChannels::attempt_seen`) for a finding a
	## worker made: the workers see an originator's connections apart, so
	## that node logs each finding once.
	global finding_seen: event(f: Finding);

	## The Community ID of a connection, "" when the conn record lacks it.
	global community_id: function(c: connection): string;

	## "proto/port peer" text of a connection's responder side.
	global channel_text: function(id: conn_id): string;

	## What a worker tells the node that owns an originator about one
	## attempt to reach a peer: a finished connection, an ICMP unreachable,
	## a failed DNS lookup, or a tunnel found by another detector.
	type Attempt: record {
		## Start of the attempt.
		ts: time;
		## End of the attempt (its last packet: when a failed channel's
		## retries gave up); unset for a one-packet attempt (a failed
		## lookup, an ICMP unreachable), which ends when it starts.
		last_ts: time &optional;
		## Zeek uid of the connection that carried the evidence.
		uid: string;
		## The attempt's endpoints (for ICMP unreachables: the quoted packet's).
		id: conn_id;
		## Community ID of the connection, "" when unknown.
		community_id: string &default="";
		## Transport protocol of the attempt.
		proto: transport_proto;
		## Zeek's service names (lower case, comma separated), "" if none.
		service: string &default="";
		## Working communication (payload both ways).
		ok: bool;
		## Why it failed ("S0", "REJ", "RSTR", "RSTOS0", "ICMP unreachable",
		## "NXDOMAIN", "SERVFAIL"), "" when it did not.
		failure: string &default="";
		## Failed attempts it stands for (SYN or datagram retries).
		attempts: count &default=1;
		## For a failed or sinkholed lookup: the query type (``A``,
		## ``AAAA``); a dual-stack client asks both at once, and the pair is
		## one attempt to reach the name. "" otherwise.
		qtype: string &default="";
		## The DNS name the peer is known by, "" if none (for a proxy
		## ``CONNECT``: the requested host).
		domain: string &default="";
		## TLS server name (SNI) the client asked for, "" if none.
		sni: string &default="";
		## Client fingerprint: ``tls:`` + the JA3 hash of the ClientHello
		## (version, ciphers, extensions, groups, point formats; GREASE
		## removed), ``ssh:`` + the SSH client banner, or ``ua:`` + the HTTP
		## User-Agent; "" if none was seen.
		client_fp: string &default="";
		## The JA4 of the ClientHello (``ja4:`` + JA4: the sorted cipher
		## suites and extensions, so it survives the extension-order
		## shuffling that changes JA3), "" if none was seen.
		client_ja4: string &default="";
		## The client's message sizes (UDP datagrams, or a TCP
		## connection's payload), for the ``payload_shape`` link.
		sizes: vector of count &default=vector();
		## Port the client asked a proxy to ``CONNECT`` to, 0 if none.
		target_port: count &default=0;
		## Findings of the per-connection detectors on this connection
		## (nonstandard_port_encrypted, protocol_port_mismatch,
		## dns_tunnel, icmp_tunnel, intel_match).
		tags: set[string] &default=set();
	};

	## Raised on the node owning the originator (a proxy in a cluster, the
	## only node standalone) for every attempt a detector shares.
	global attempt_seen: event(a: Attempt);

	## Send an attempt to the node owning its originator.
	global share_attempt: function(a: Attempt);

	## TCP connection states that mean the attempt failed.
	option failed_states: set[string] = {
		"S0",
		"REJ"
	};

	## States that mean failure only when no payload was exchanged.
	option failed_without_data_states: set[string] = {
		"RSTR",
		"RSTOS0"
	};

	## States that mean working communication when payload was exchanged.
	option working_states: set[string] = {
		"SF",
		"S1",
		"S2",
		"S3",
		"RSTO",
		"RSTR"
	};

	## Networks of the site. Failures of peers in them (a PBX, a printer,
	## an internal registrar) are not C2 primaries unless
	## :zeek:see:`FallbackChannels::internal_primaries` says so, and working
	## connections to them are not "direct" fallbacks. Set it to your
	## site's ranges. (``Site::local_nets`` is not used: by default it also
	## holds the documentation and other special-purpose ranges.)
	option internal_nets: set[subnet] = {
		10.0.0.0/8,
		172.16.0.0/12,
		192.168.0.0/16,
		100.64.0.0/10,
		169.254.0.0/16,
		127.0.0.0/8,
		[fc00::]/7,
		[fe80::]/10,
		[::1]/128
	};

	## Extra ports where encryption is expected besides each analyzer's
	## registered ports (SMTPS, DNS over TLS, site-specific TLS services);
	## they are customary ports too.
	## (8443 and the like are deliberately not here: they are where C2
	## falls back to.)
	option encrypted_ports: set[port] = {
		465/tcp,
		853/tcp
	};

	## Whether *p* is a customary port for a connection that carried
	## *services* (Zeek's comma-separated names, "" if none): registered by
	## one of Zeek's analyzers (``likely_server_ports``), listed in
	## :zeek:see:`FallbackChannels::encrypted_ports`, or an application's
	## port (:zeek:see:`FallbackChannels::app_at`).
	global customary_port: function(p: port, services: string): bool;

	## Whether *a* is in :zeek:see:`FallbackChannels::internal_nets`.
	global is_internal: function(a: addr): bool;

	## The entry of *suffixes* that *name* is or falls under at a label
	## boundary (``x.duckdns.org`` under ``duckdns.org``), "" if none.
	global listed_suffix: function(name: string, suffixes: set[string]): string;

	## Record that a per-connection detector found *tag* on *c*; the
	## attempt shared when *c* ends carries it.
	global tag_connection: function(c: connection, tag: string);

	## Responder ports whose connections are not shared as attempts (name
	## resolution and local discovery; DNS failures come from dns_end).
	## Connections where Zeek confirmed DNS are skipped too, wherever they run.
	option ignored_ports: set[port] = {
		53/udp,
		137/udp,
		5353/udp,
		5355/udp,
		67/udp,
		68/udp,
		123/udp,
		1900/udp
	};
}

# Loaded after the exports above, which it uses (ignored_ports).
@load ./message-sizes

redef record connection += {
	## Findings of the per-connection detectors (see ``Attempt$tags``).
	fallback_tags: set[string] &optional;
	## A failure only the application layer shows (TLS fatal alert from
	## the server, proxy refusal), set by failed-then-fallback.zeek.
	fallback_failure: string &optional;
	## Failed attempts the application-layer failure stands for (refused
	## proxy requests on one connection).
	fallback_failures: count &optional;
	## Parts of the ClientHello's JA3 string (see ``Attempt$client_fp``):
	## "version,ciphers", then extensions, groups and point formats.
	fallback_tls_hello: string &optional;
	fallback_tls_exts: vector of string &optional;
	fallback_tls_groups: string &optional;
	fallback_tls_formats: string &optional;
	## Parts of the ClientHello's JA4 (see ``Attempt$client_ja4``): its
	## version, cipher suites and extension codes (GREASE removed), the
	## highest supported version, the first ALPN value and the signature
	## algorithms.
	fallback_ja4_version: count &optional;
	fallback_ja4_ciphers: vector of count &optional;
	fallback_ja4_exts: vector of count &optional;
	fallback_ja4_alpn: string &optional;
	fallback_ja4_sigalgs: vector of count &optional;
	## Host and port a client asked a proxy to ``CONNECT`` to.
	fallback_target: string &optional;
	fallback_target_port: count &optional;
};

# Keys of findings reported recently, on the node that logs them: standalone
# the only one, in a cluster the proxy owning the originator (workers send
# their findings there, see report()).
global reported: set[string] &create_expire=report_interval;

event zeek_init() &priority=5
	{
	Log::create_stream(FallbackChannels::LOG, [$columns=Info, $ev=log_fallback,
	    $path="fallback", $policy=log_policy]);
	}

function community_id(c: connection): string
	{
	if ( c?$conn && c$conn?$community_id )
		return c$conn$community_id;
	return "";
	}

function channel_text(id: conn_id): string
	{
	return fmt("%s %s", id$resp_p, id$resp_h);
	}

function customary_port(p: port, services: string): bool
	{
	return p in likely_server_ports
	    || p in encrypted_ports
	    || app_at(p, services) != "";
	}

function indicator_name(note: Notice::Type): string
	{
	local parts = split_string(cat(note), /::/);
	return to_lower(parts[|parts| - 1]);
	}

function is_internal(a: addr): bool
	{
	return a in internal_nets;
	}

function listed_suffix(name: string, suffixes: set[string]): string
	{
	local rest = to_lower(name);
	while ( rest != "" )
		{
		if ( rest in suffixes )
			return rest;
		local dot = strstr(rest, ".");
		if ( dot == 0 )
			break;
		rest = sub_bytes(rest, dot + 1, |rest|);
		}
	return "";
	}

function tag_connection(c: connection, tag: string)
	{
	if ( ! c?$fallback_tags )
		c$fallback_tags = set();
	add c$fallback_tags[tag];
	}

function share_attempt(a: Attempt)
	{
@if ( Cluster::is_enabled() )
	Cluster::publish_hrw(Cluster::proxy_pool, a$id$orig_h, attempt_seen, a);
@else
	event FallbackChannels::attempt_seen(a);
@endif
	}

function payload_bytes(c: connection): count
	{
	return c$orig$size + c$resp$size;
	}

## Summarise a finished TCP/UDP connection as an attempt, or return F when it
## is neither a failure nor working communication.
function attempt_of(c: connection, a: Attempt): bool
	{
	if ( ! c?$conn || ! c$conn?$conn_state )
		return F;
	local st = c$conn$conn_state;
	local data = payload_bytes(c) > 0;
	# Failures the application layer shows: a fatal TLS alert before the
	# session was set up, a proxy refusing CONNECT.
	if ( c?$fallback_failure )
		{
		a$failure = c$fallback_failure;
		if ( c?$fallback_failures )
			a$attempts = c$fallback_failures;
		return T;
		}
	# The responder reset right after the client spoke (a ClientHello, a
	# request) and sent nothing: an inspecting firewall or a dead service.
	if ( st == "RSTR" && c$orig$size > 0 && c$resp$size == 0 )
		{
		a$failure = c?$ssl ? "RST after ClientHello" : "RST after request";
		return T;
		}
	if ( st in failed_states || ( st in failed_without_data_states && ! data ) )
		{
		a$failure = st;
		a$attempts = c$orig?$num_pkts && c$orig$num_pkts > 1 ? c$orig$num_pkts : 1;
		return T;
		}
	# Working means payload both ways: data one way only (a push that was
	# never answered) is not communication with the peer.
	a$ok = st in working_states && c$orig$size > 0 && c$resp$size > 0;
	return a$ok;
	}

## Whether *a* is a multicast or broadcast address (an IPv4 address ending
## in .255 counts as a directed broadcast): nothing answers those reliably,
## so silence there is no failed attempt.
function is_group_addr(a: addr): bool
	{
	if ( a in 224.0.0.0/4 || a in [ff00::]/8 || a == 255.255.255.255 )
		return T;
	if ( ! is_v4_addr(a) )
		return F;
	local octets = split_string(cat(a), /\./);
	return octets[3] == "255";
	}

## Whether *v* is a GREASE value (RFC 8701), which clients pick at random.
function is_grease(v: count): bool
	{
	return v / 256 == v % 256 && v % 16 == 10;
	}

## The values of *v* without GREASE, joined with "-" (JA3's notation).
function ja3_list(v: index_vec): string
	{
	local parts: vector of string = vector();
	for ( _, x in v )
		if ( ! is_grease(x) )
			parts[|parts|] = cat(x);
	return join_string_vec(parts, "-");
	}

## The values of *v* without GREASE.
function without_grease(v: index_vec): vector of count
	{
	local out: vector of count = vector();
	for ( _, x in v )
		if ( ! is_grease(x) )
			out[|out|] = x;
	return out;
	}

## The big-endian 16-bit values of *s* from byte *start* (1-based) on.
function u16s(s: string, start: count): vector of count
	{
	local out: vector of count = vector();
	local i = start;
	while ( i + 1 <= |s| )
		{
		out[|out|] = bytestring_to_count(sub_bytes(s, i, 2));
		i += 2;
		}
	return out;
	}

# Zeek raises the hello's ssl_extension events before ssl_client_hello. Only
# the first ClientHello of a connection is fingerprinted (a second one
# answers a HelloRetryRequest).
event ssl_client_hello(c: connection, version: count, record_version: count,
    possible_ts: time, client_random: string, session_id: string,
    ciphers: index_vec, comp_methods: index_vec)
	{
	if ( c?$fallback_tls_hello )
		return;
	c$fallback_tls_hello = fmt("%d,%s", version, ja3_list(ciphers));
	if ( ! c?$fallback_tls_exts )
		c$fallback_tls_exts = vector();
	if ( ! c?$fallback_ja4_exts )
		c$fallback_ja4_exts = vector();
	if ( ! c?$fallback_ja4_version )
		c$fallback_ja4_version = version;
	c$fallback_ja4_ciphers = without_grease(ciphers);
	}

event ssl_extension(c: connection, is_client: bool, code: count, val: string)
	{
	if ( ! is_client || c?$fallback_tls_hello || is_grease(code) )
		return;
	if ( ! c?$fallback_tls_exts )
		{
		c$fallback_tls_exts = vector();
		c$fallback_ja4_exts = vector();
		}
	c$fallback_tls_exts[|c$fallback_tls_exts|] = cat(code);
	c$fallback_ja4_exts[|c$fallback_ja4_exts|] = code;
	switch ( code )
		{
		case 16:
			# ALPN: a 2-byte list length, then length-prefixed names.
			if ( |val| >= 3 )
				c$fallback_ja4_alpn = sub_bytes(val, 4, bytestring_to_count(sub_bytes(val, 3,
				    1)));
			break;
		case 13:
			# Signature algorithms: a 2-byte list length, then 16-bit values.
			c$fallback_ja4_sigalgs = without_grease(u16s(val, 3));
			break;
		case 43:
			# Supported versions: a 1-byte list length, then 16-bit values;
			# the highest one is the hello's version.
			for ( _, v in without_grease(u16s(val, 2)) )
				if ( ! c?$fallback_ja4_version || v > c$fallback_ja4_version )
					c$fallback_ja4_version = v;
			break;
		}
	}

event ssl_extension_elliptic_curves(c: connection, is_client: bool,
    curves: index_vec)
	{
	if ( is_client && ! c?$fallback_tls_hello )
		c$fallback_tls_groups = ja3_list(curves);
	}

event ssl_extension_ec_point_formats(c: connection, is_client: bool,
    point_formats: index_vec)
	{
	if ( is_client && ! c?$fallback_tls_hello )
		c$fallback_tls_formats = ja3_list(point_formats);
	}

# What a client asked a proxy to CONNECT to names the channel (and tells the
# other scripts that the connection is a proxy tunnel).
event http_request(c: connection, method: string, original_URI: string,
    unescaped_URI: string, version: string)
	{
	if ( method != "CONNECT" )
		return;
	local parts = split_string1(to_lower(original_URI), /:/);
	c$fallback_target = parts[0];
	c$fallback_target_port = |parts| > 1 && /[0-9]+/ == parts[1] ? to_count(
	    parts[1]) : 443;
	}

# JA4's names of the TLS versions.
const ja4_versions: table[count] of string = {
	[0x0304] = "13",
	[0x0303] = "12",
	[0x0302] = "11",
	[0x0301] = "10",
	[0x0300] = "s3",
	[0x0200] = "s2",
	[0x0100] = "s1",
	[0xfeff] = "d1",
	[0xfefd] = "d2",
	[0xfefc] = "d3"
} &default="00";

## The first 12 hex digits of the SHA-256 of *v* as 4-digit hex values
## joined by ",", plus *tail*; twelve zeros when *v* is empty.
function ja4_hash(v: vector of count, tail: string): string
	{
	if ( |v| == 0 )
		return "000000000000";
	local parts: vector of string = vector();
	for ( _, x in v )
		parts[|parts|] = fmt("%04x", x);
	return sub_bytes(sha256_hash(join_string_vec(parts, ",") + tail), 1, 12);
	}

## The JA4 of the ClientHello on *c* (FoxIO's published JA4: transport,
## version, SNI or not, the counts of cipher suites and extensions, the ends
## of the first ALPN value, then hashes of the sorted cipher suites and of
## the sorted extensions and signature algorithms), "" if none was seen.
function client_ja4(c: connection): string
	{
	if ( ! c?$fallback_ja4_ciphers )
		return "";
	local exts = c$fallback_ja4_exts;
	local alpn = "00";
	if ( c?$fallback_ja4_alpn && |c$fallback_ja4_alpn| > 0 )
		{
		local ends = sub_bytes(c$fallback_ja4_alpn, 1, 1) + sub_bytes(
		    c$fallback_ja4_alpn, |c$fallback_ja4_alpn|, 1);
		if ( /^[A-Za-z0-9]{2}$/ == ends )
			alpn = ends;
		else
			{
			local hex = bytestring_to_hexstr(c$fallback_ja4_alpn);
			alpn = sub_bytes(hex, 1, 1) + sub_bytes(hex, |hex|, 1);
			}
		}
	local sni = F;
	local rest: vector of count = vector();
	for ( _, e in exts )
		{
		if ( e == 0 )
			sni = T;
		if ( e != 0 && e != 16 )
			rest[|rest|] = e;
		}
	local tail = "";
	if ( |rest| > 0 && c?$fallback_ja4_sigalgs && |c$fallback_ja4_sigalgs| > 0 )
		{
		local algs: vector of string = vector();
		for ( _, x in c$fallback_ja4_sigalgs )
			algs[|algs|] = fmt("%04x", x);
		tail = "_" + join_string_vec(algs, ",");
		}
	local head = fmt("%s%s%s%02d%02d%s", get_port_transport_proto(c$id$resp_p) == udp ? "d"
	    : "t", ja4_versions[c$fallback_ja4_version], sni ? "d" : "i",
	    |c$fallback_ja4_ciphers| < 99 ? |c$fallback_ja4_ciphers| : 99, |exts| < 99
	    ? |exts| : 99, alpn);
	local ciphers = copy(c$fallback_ja4_ciphers);
	sort(ciphers);
	sort(rest);
	return fmt("ja4:%s_%s_%s", head, ja4_hash(ciphers, ""), ja4_hash(rest, tail));
	}

## The client fingerprint of *c* (see ``Attempt$client_fp``), "" if none.
function client_fingerprint(c: connection): string
	{
	if ( c?$fallback_tls_hello )
		return "tls:" + md5_hash(fmt("%s,%s,%s,%s", c$fallback_tls_hello,
		    join_string_vec(c$fallback_tls_exts, "-"),
		    c?$fallback_tls_groups ? c$fallback_tls_groups : "",
		    c?$fallback_tls_formats ? c$fallback_tls_formats : ""));
	if ( c?$ssh && c$ssh?$client )
		return "ssh:" + c$ssh$client;
	if ( c?$http && c$http?$user_agent )
		return "ua:" + c$http$user_agent;
	return "";
	}

# After the per-connection detectors (priority 0) tagged the connection and
# before conn.log is written (priority -5).
event connection_state_remove(c: connection) &priority=-3
	{
	local proto = get_port_transport_proto(c$id$resp_p);
	if ( proto != tcp && proto != udp )
		return;
	if ( is_group_addr(c$id$resp_h) )
		return;
	if ( c$id$resp_p in ignored_ports
	    || "DNS" in c$service
	    || "dns" in c$service )
		return;
	local a = Attempt($ts=c$start_time, $last_ts=c$start_time + c$duration,
	    $uid=c$uid, $id=c$id, $community_id=community_id(c), $proto=proto,
	    $ok=F);
	if ( c$conn?$service )
		a$service = c$conn$service;
	if ( c?$ssl && c$ssl?$server_name )
		a$sni = to_lower(c$ssl$server_name);
	a$client_fp = client_fingerprint(c);
	a$client_ja4 = client_ja4(c);
	a$sizes = message_sizes(c);
	if ( c?$fallback_target )
		{
		a$domain = c$fallback_target;
		a$target_port = c$fallback_target_port;
		}
	if ( c?$fallback_tags )
		a$tags = c$fallback_tags;
	if ( attempt_of(c, a) )
		share_attempt(a);
	}

## Log and notice *f* unless it was reported within
## :zeek:see:`FallbackChannels::report_interval`.
function log_finding(f: Finding)
	{
	local indicator = indicator_name(f$note);
	local identifier = cat(f$id$orig_h, "|", f$primary, "|", f$fallback);
	local key = cat(indicator, "|", identifier);
	if ( key in reported )
		return;
	add reported[key];

	local rec = Info($ts=f$ts, $uid=f$uid, $id=f$id, $indicator=indicator,
	    $primary=f$primary, $fallback=f$fallback, $detail=f$detail);
	if ( f$community_id != "" )
		rec$community_id = f$community_id;
	Log::write(FallbackChannels::LOG, rec);

	local msg = fmt("%s: %s", indicator, f$primary);
	if ( f$fallback != "" )
		msg = fmt("%s -> %s", msg, f$fallback);
	local n = Notice::Info($note=f$note, $msg=msg, $sub=f$detail, $uid=f$uid,
	    $id=f$id, $src=f$id$orig_h, $dst=f$id$resp_h, $p=f$id$resp_p,
	    $identifier=identifier, $suppress_for=report_interval);
	if ( f$community_id != "" )
		n$community_id = f$community_id;
	NOTICE(n);
	}

event FallbackChannels::finding_seen(f: Finding)
	{
	log_finding(f);
	}

function report(f: Finding)
	{
	if ( ! hook finding_policy(f) )
		return;
@if ( Cluster::is_enabled() && Cluster::local_node_type() == Cluster::WORKER )
	# Another worker may find the same on another connection of the
	# originator: the node owning it decides what was reported. (Without a
	# proxy up, the worker logs it itself.)
	if ( Cluster::publish_hrw(Cluster::proxy_pool, f$id$orig_h, finding_seen, f) )
		return;
@endif
	log_finding(f);
	}
