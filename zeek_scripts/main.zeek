##! Shared plumbing of the FallbackChannels package: the ``fallback.log`` stream,
##! the notice types, de-duplication of findings, and the record every worker
##! sends to the proxy that owns an originator (or handles locally when Zeek
##! runs standalone, e.g. ``zeek -r``).

@load base/frameworks/cluster
@load base/frameworks/notice
@load base/protocols/conn
@load policy/protocols/conn/community-id-logging
@load policy/frameworks/notice/community-id

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

	redef enum Notice::Type += {
		## Failed attempts to one channel, then a working connection to
		## another port, protocol or peer shortly after.
		Failed_Then_Fallback,
		## A name under a dynamic DNS provider was resolved.
		Dynamic_DNS,
		## TLS, SSH, QUIC or DTLS on a port not registered for it.
		Nonstandard_Port_Encrypted,
		## An originator changed the protocol it uses with one peer.
		Protocol_Switch,
		## A port that implies one service carried another (or nothing
		## Zeek could identify).
		Protocol_Port_Mismatch,
		## DNS queries to one domain look like a tunnel.
		DNS_Tunnel,
		## ICMP echo payloads look like a tunnel.
		ICMP_Tunnel,
		## The Intel framework matched a connection.
		Intel_Match,
	};

	## A finding before it is logged and noticed.
	type Finding: record {
		ts: time;
		uid: string;
		id: conn_id;
		community_id: string &default="";
		indicator: string;
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

	## Write a fallback.log line (and raise the notice) unless the same
	## finding was reported within :zeek:see:`FallbackChannels::report_interval`.
	global report: function(f: Finding);

	## Consulted before a finding is reported; a handler that breaks drops
	## it (the allowlist script does, for allowlisted hosts, peers, names).
	global finding_policy: hook(f: Finding);

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
		## The DNS name the peer is known by, "" if none.
		domain: string &default="";
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

# Keys of findings reported recently (per node; the notice framework also
# suppresses across the cluster through $identifier/$suppress_for).
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

event connection_state_remove(c: connection)
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
	local a = Attempt($ts=c$start_time, $uid=c$uid, $id=c$id,
	    $community_id=community_id(c), $proto=proto, $ok=F);
	if ( c$conn?$service )
		a$service = c$conn$service;
	if ( attempt_of(c, a) )
		share_attempt(a);
	}

function report(f: Finding)
	{
	if ( ! hook finding_policy(f) )
		return;
	local identifier = cat(f$id$orig_h, "|", f$primary, "|", f$fallback);
	local key = cat(f$indicator, "|", identifier);
	if ( key in reported )
		return;
	add reported[key];

	local rec = Info($ts=f$ts, $uid=f$uid, $id=f$id, $indicator=f$indicator,
	    $primary=f$primary, $fallback=f$fallback, $detail=f$detail);
	if ( f$community_id != "" )
		rec$community_id = f$community_id;
	Log::write(FallbackChannels::LOG, rec);

	local msg = fmt("%s: %s", f$indicator, f$primary);
	if ( f$fallback != "" )
		msg = fmt("%s -> %s", msg, f$fallback);
	local n = Notice::Info($note=f$note, $msg=msg, $sub=f$detail, $uid=f$uid,
	    $id=f$id, $src=f$id$orig_h, $dst=f$id$resp_h, $p=f$id$resp_p,
	    $identifier=identifier, $suppress_for=report_interval);
	if ( f$community_id != "" )
		n$community_id = f$community_id;
	NOTICE(n);
	}
