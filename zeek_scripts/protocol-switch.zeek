##! protocol_switch: an originator that worked with a peer over one kind of
##! protocol starts using a different kind with the same peer (e.g. HTTPS,
##! then raw TCP or SSH) on a port that is not customary for it. Runs on the
##! node owning the originator, from the attempts workers share (see
##! main.zeek).
##!
##! The peer is its address (never a shared DNS zone). Standard services on
##! their customary ports (SSH on 22, then HTTP on 80, then FTP on 21 to one
##! server), the ports of one service (QUIC on udp/443 and TLS on tcp/443,
##! IKE on 500 and NAT-T on 4500, IMAP on 143 and 993) and unidentified
##! datagrams (call media, games, P2P and VPNs pick UDP ports freely) are no
##! switch.

@load ./main

module FallbackChannels;

export {
	redef enum Notice::Type += {
		## An originator changed the protocol it uses with one peer
		## (protocol_switch).
		Protocol_Switch,
	};

	## Services that are one family for this purpose (a browser moving
	## between QUIC, TLS and HTTP is not a switch). Unlisted services are
	## their own family.
	option service_family: table[string] of string = {
		["ssl"] = "web",
		["quic"] = "web",
		["http"] = "web",
		["dtls"] = "web",
		["websocket"] = "web",
	};

	## Ports whose unidentified traffic belongs to one service family (the
	## ports of one service are one service, not a switch).
	option port_family: table[port] of string = {
		[80/tcp] = "web",
		[443/tcp] = "web",
		[443/udp] = "web",
		[8080/tcp] = "web",
		[500/udp] = "ipsec",
		[4500/udp] = "ipsec",
		[25/tcp] = "smtp",
		[465/tcp] = "smtp",
		[587/tcp] = "smtp",
		[143/tcp] = "imap",
		[993/tcp] = "imap",
		[110/tcp] = "pop3",
		[995/tcp] = "pop3",
	};

	## Families remembered per (originator, peer); beyond it nothing is
	## added, so scanning many ports of one peer cannot grow memory.
	option max_families: count = 16;
}

# (originator, peer) -> protocol families seen working between them.
global families: table[addr, addr] of set[string] &read_expire=state_timeout;

## The family of an attempt: its first service's family, the family of its
## port, or "<proto>/<port>" for unidentified TCP; "" for unidentified UDP.
function family_of(a: Attempt): string
	{
	if ( a$service != "" )
		{
		local first = split_string1(a$service, /,/)[0];
		return first in service_family ? service_family[first] : first;
		}
	if ( a$id$resp_p in port_family )
		return port_family[a$id$resp_p];
	if ( a$proto != tcp )
		return "";
	return fmt("%s", a$id$resp_p);
	}

## Whether the new protocol is unusual where it runs: another detector found
## it on a port that implies something else, or it runs on a TCP port no
## analyzer or application registers.
function unusual(a: Attempt): bool
	{
	if ( "nonstandard_port_encrypted" in a$tags
	    || "protocol_port_mismatch" in a$tags )
		return T;
	return a$proto == tcp && ! customary_port(a$id$resp_p, a$service);
	}

event FallbackChannels::attempt_seen(a: Attempt)
	{
	if ( ! a$ok || ( a$proto != tcp && a$proto != udp ) )
		return;
	local family = family_of(a);
	if ( family == "" )
		return;
	local orig = a$id$orig_h;
	local peer = a$id$resp_h;
	if ( [orig, peer] !in families )
		{
		families[orig, peer] = set(family);
		return;
		}
	local known = families[orig, peer];
	if ( family in known || |known| >= max_families )
		return;
	local before = join_string_set(known, ",");
	add known[family];
	if ( ! unusual(a) )
		return;
	report(Finding($ts=a$ts, $uid=a$uid, $id=a$id, $community_id=a$community_id,
	    $note=Protocol_Switch, $primary=fmt("%s %s", peer, before),
	    $fallback=fmt("%s %s", channel_text(a$id), family), $detail=fmt(
	    "%s switched from %s to %s with %s", orig, before, family, peer)));
	}
