##! protocol_switch: an originator that worked with a peer over one kind of
##! protocol starts using a different kind with the same peer (e.g. HTTPS,
##! then raw TCP or SSH). Runs on the node owning the originator, from the
##! attempts workers share (see main.zeek).

@load ./main

module FallbackChannels;

export {
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

	## Families remembered per (originator, peer); beyond it nothing is
	## added, so scanning many ports of one peer cannot grow memory.
	option max_families: count = 16;
}

# (originator, peer) -> protocol families seen working between them.
global families: table[addr, addr] of set[string] &read_expire=state_timeout;

## The family of an attempt: its first service's family, or "<proto>/<port>"
## when Zeek identified no service.
function family_of(a: Attempt): string
	{
	if ( a$service == "" )
		return fmt("%s", a$id$resp_p);
	local first = split_string1(a$service, /,/)[0];
	return first in service_family ? service_family[first] : first;
	}

event FallbackChannels::attempt_seen(a: Attempt)
	{
	if ( ! a$ok )
		return;
	local orig = a$id$orig_h;
	local peer = a$id$resp_h;
	local family = family_of(a);
	if ( [orig, peer] !in families )
		{
		families[orig, peer] = set(family);
		return;
		}
	local known = families[orig, peer];
	if ( family in known )
		return;
	local before = join_string_set(known, ",");
	report(Finding($ts=a$ts, $uid=a$uid, $id=a$id, $community_id=a$community_id,
	    $indicator="protocol_switch", $note=Protocol_Switch, $primary=fmt(
	    "%s %s", peer, before), $fallback=fmt("%s %s", channel_text(a$id),
	    family), $detail=fmt("%s switched from %s to %s with %s", orig,
	    before, family, peer)));
	add known[family];
	}
