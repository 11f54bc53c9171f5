##! icmp_tunnel: ICMP echo traffic whose payloads are large or vary in size,
##! unlike ping, which repeats one small payload. Zeek keys echo request and
##! reply pairs of one (originator, responder, echo id) as one connection, so
##! one worker sees all of it and the state lives on the connection record.

@load ./main

module FallbackChannels;

export {
	redef enum Notice::Type += {
		## ICMP echo payloads look like a tunnel (icmp_tunnel).
		ICMP_Tunnel,
	};

	## Echo messages (both directions) before a connection is judged.
	option icmp_min_messages: count = 10;

	## Mean payload size (bytes) at or above which echo traffic is a tunnel.
	option icmp_large_payload: double = 512.0;

	## Standard deviation of payload sizes (bytes) at or above which echo
	## traffic is a tunnel.
	option icmp_min_size_stddev: double = 16.0;

	## Distinct payload sizes at or above which echo traffic is a tunnel.
	option icmp_min_distinct_sizes: count = 8;
}

type IcmpStats: record {
	messages: count &default=0;
	total: double &default=0.0;
	total_sq: double &default=0.0;
	sizes: set[count] &default=set();
	reported: bool &default=F;
};

redef record connection += {
	## Echo payload statistics for icmp_tunnel (freed with the connection).
	fallback_icmp: IcmpStats &optional;
};

function observe_echo(c: connection, payload: string)
	{
	if ( ! c?$fallback_icmp )
		c$fallback_icmp = IcmpStats();
	local s = c$fallback_icmp;
	if ( s$reported )
		return;
	local len = |payload|;
	local size = len + 0.0;
	s$messages += 1;
	s$total = s$total + size;
	s$total_sq = s$total_sq + size * size;
	if ( |s$sizes| < icmp_min_distinct_sizes )
		add s$sizes[len];
	if ( s$messages < icmp_min_messages )
		return;

	local mean = s$total / s$messages;
	local variance = s$total_sq / s$messages - mean * mean;
	local sd = variance > 0.0 ? sqrt(variance) : 0.0;
	if ( mean < icmp_large_payload
	    && sd < icmp_min_size_stddev
	    && |s$sizes| < icmp_min_distinct_sizes )
		return;

	s$reported = T;
	report(Finding($ts=network_time(), $uid=c$uid, $id=c$id,
	    $community_id=community_id(c), $note=ICMP_Tunnel, $primary=fmt(
	    "icmp %s", c$id$resp_h), $detail=fmt("%d echo messages, mean payload %.0f bytes, stddev %.1f, %d+ distinct sizes",
	    s$messages, mean, sd, |s$sizes|)));
	# The tunnel is a working channel for failed_then_fallback.
	share_attempt(Attempt($ts=c$start_time, $uid=c$uid, $id=c$id,
	    $community_id=community_id(c), $proto=icmp, $service="icmp", $ok=T,
	    $tags=set("icmp_tunnel")));
	}

event icmp_echo_request(c: connection, info: icmp_info, id: count, seq: count,
    payload: string)
	{
	observe_echo(c, payload);
	}

event icmp_echo_reply(c: connection, info: icmp_info, id: count, seq: count,
    payload: string)
	{
	observe_echo(c, payload);
	}
