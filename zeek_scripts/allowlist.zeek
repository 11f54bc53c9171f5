##! Allowlist: findings about allowlisted networks, names and host->peer pairs
##! are neither logged nor noticed.
##!
##! The entries are read with the Input framework from ``allowlist.dat``
##! beside this script, the file ``fallback-hunt contain --allowlist FILE``
##! writes (columns ``entry``, ``kind``, ``indicators``, ``reason``).
##! Operators replace the file or point :zeek:see:`FallbackChannels::allowlist_file`
##! at their own; edits are picked up live.

@load ./main
@load ./tables

module FallbackChannels;

export {
	## The allowlist (Input framework ASCII format).
	option allowlist_file: string = @DIR + "/allowlist.dat";

	## One allowlist entry: its kind (cidr, domain, wildcard, pair), the
	## indicator types it covers ("*" for all) and why it is allowed.
	type AllowEntry: record {
		kind: string;
		indicators: string;
		reason: string;
	};

	## The entries read from :zeek:see:`FallbackChannels::allowlist_file`,
	## keyed by the entry text (refreshed by the Input framework only).
	global allowlist_entries: table[string] of AllowEntry = table();
}

type AllowIdx: record {
	entry: string;
};

event zeek_init()
	{
	# None is shipped: without the file there is nothing to allow.
	read_table("allowlist", [$source=allowlist_file, $name="fallback-allowlist",
	    $idx=AllowIdx, $val=AllowEntry, $destination=allowlist_entries], T);
	}

## Whether DNS name *name* is *entry* ("*.zone": the zone or below).
function name_allowed(name: string, entry: string): bool
	{
	local n = to_lower(name);
	if ( sub_bytes(entry, 1, 2) != "*." )
		return n == entry;
	local zone = sub_bytes(entry, 3, |entry|);
	if ( n == zone )
		return T;
	local tail = "." + zone;
	return |n| > |tail| && sub_bytes(n, |n| - |tail| + 1, |tail|) == tail;
	}

## Whether *peer* (a network with its "/", a name or "*.zone") covers the
## finding's responder or a name in its primary / fallback text.
function peer_allowed(f: Finding, peer: string): bool
	{
	if ( /\// in peer )
		return f$id$resp_h in to_subnet(peer);
	local words = split_string(f$primary + " " + f$fallback, / +/);
	for ( i in words )
		{
		if ( words[i] != "" && name_allowed(words[i], peer) )
			return T;
		}
	return F;
	}

## Whether allowlist entry *entry* covers finding *f*.
function entry_allows(f: Finding, entry: string, e: AllowEntry): bool
	{
	if ( e$indicators != "*"
	    && strstr("," + e$indicators + ",", "," + indicator_name(f$note) + ",") == 0 )
		return F;
	if ( e$kind == "cidr" )
		return f$id$orig_h in to_subnet(entry) || f$id$resp_h in to_subnet(entry);
	if ( e$kind == "domain" || e$kind == "wildcard" )
		return peer_allowed(f, entry);
	if ( e$kind != "pair" )
		return F;
	local parts = split_string1(entry, /->/);
	return |parts| == 2
	    && f$id$orig_h in to_subnet(parts[0])
	    && peer_allowed(f, parts[1]);
	}

hook finding_policy(f: Finding)
	{
	local allowed = F;
	for ( entry, e in allowlist_entries )
		{
		if ( entry_allows(f, entry, e) )
			{
			allowed = T;
			break;
			}
		}
	if ( allowed )
		break;
	}
