##! intel_match: the Intel framework matched an indicator inside a
##! connection. The framework is used as is (load your intel files with
##! ``redef Intel::read_files += { ... }``); each match with a connection
##! also becomes a fallback.log line and a FallbackChannels::Intel_Match notice.

@load base/frameworks/intel
@load frameworks/intel/seen
@load ./main

module FallbackChannels;

export {
	redef enum Notice::Type += {
		## The Intel framework matched a connection (intel_match).
		Intel_Match,
	};
}

event Intel::match(s: Intel::Seen, items: set[Intel::Item])
	{
	if ( ! s?$conn )
		return;
	local c = s$conn;
	# The connection is a linked fallback for failed_then_fallback.
	tag_connection(c, "intel_match");
	local sources: set[string] = set();
	for ( item in items )
		add sources[item$meta$source];
	local what = s?$indicator ? s$indicator : "?";
	report(Finding($ts=network_time(), $uid=c$uid, $id=c$id,
	    $community_id=community_id(c), $note=Intel_Match, $primary=fmt(
	    "%s %s", what, s$where), $detail=fmt("intel sources: %s",
	    join_string_set(sources, ","))));
	}
