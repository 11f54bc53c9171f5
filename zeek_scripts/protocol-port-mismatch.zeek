##! protocol_port_mismatch: a responder port that implies one service carried
##! another one, or payload Zeek could not identify at all. Checked when the
##! connection ends, from the services dynamic protocol detection confirmed.

@load base/protocols/conn
@load ./main
@load ./nonstandard-port-encrypted

module FallbackChannels;

export {
	redef enum Notice::Type += {
		## A port that implies one service carried another (or nothing
		## Zeek could identify) (protocol_port_mismatch).
		Protocol_Port_Mismatch,
	};

	## Responder port -> the service (Zeek's lower-case service name) it implies.
	option port_services: table[port] of string = {
		[21/tcp] = "ftp",
		[22/tcp] = "ssh",
		[25/tcp] = "smtp",
		[53/tcp] = "dns",
		[53/udp] = "dns",
		[80/tcp] = "http",
		[110/tcp] = "pop3",
		[143/tcp] = "imap",
		[443/tcp] = "ssl",
		[443/udp] = "quic",
		[587/tcp] = "smtp",
		[993/tcp] = "ssl",
		[995/tcp] = "ssl",
		[6667/tcp] = "irc",
		[8080/tcp] = "http",
		[8443/tcp] = "ssl",
	};

	## Services that may stand in for the one a port implies (e.g. TLS after
	## STARTTLS, HTTP CONNECT). Index: [implied, seen].
	option compatible_services: set[string, string] = {
		["smtp", "ssl"],
		["imap", "ssl"],
		["pop3", "ssl"],
		["ftp", "ssl"],
		["http", "websocket"],
		["ssl", "http"],
		["quic", "ssl"],
	};

	## Payload bytes (both directions) before unidentified payload on a
	## port that implies a service counts as a mismatch.
	option min_unidentified_bytes: count = 512;
}

redef record connection += {
	## Services (lower case) whose analyzers Zeek confirmed on the connection,
	## kept even when the analyzer later raised a violation and was removed.
	fallback_confirmed: set[string] &optional;
};

event analyzer_confirmation_info(atype: AllAnalyzers::Tag,
    info: AnalyzerConfirmationInfo)
	{
	if ( ! is_protocol_analyzer(atype) || ! info?$c )
		return;
	local c = info$c;
	if ( ! c?$fallback_confirmed )
		c$fallback_confirmed = set();
	add c$fallback_confirmed[to_lower(Analyzer::name(atype))];
	}

## The first service Zeek confirmed that a port's implied service does not
## explain; "" when the implied one (or a compatible one) is among them.
function unexplained_service(implied: string, services: set[string]): string
	{
	local other = "";
	for ( s in services )
		{
		local seen = to_lower(s);
		if ( seen == implied || [implied, seen] in compatible_services )
			return "";
		other = seen;
		}
	return other;
	}

## Whether Zeek could have identified the implied service on *c*: this Zeek
## has an analyzer for it and, for TCP, saw the connection being set up
## (dynamic protocol detection needs the start of the stream).
function could_identify(c: connection, implied: string): bool
	{
	if ( ! Analyzer::has_tag(to_upper(implied)) )
		return F;
	if ( get_port_transport_proto(c$id$resp_p) != tcp )
		return T;
	return c?$history && /S/ in c$history && /h/ in c$history;
	}

event connection_state_remove(c: connection)
	{
	local p = c$id$resp_p;
	if ( p !in port_services || c$orig$size == 0 || c$resp$size == 0 )
		return;
	local implied = port_services[p];
	local services: set[string] = set();
	for ( s in c$service )
		add services[to_lower(s)];
	if ( c?$fallback_confirmed )
		for ( s in c$fallback_confirmed )
			add services[s];
	local seen = unexplained_service(implied, services);
	if ( |services| == 0 )
		{
		if ( c$orig$size + c$resp$size < min_unidentified_bytes
		    || ! could_identify(c, implied) )
			return;
		seen = "unidentified";
		}
	if ( seen == "" )
		return;
	# An application recognised by its payload (app-signatures.sig) explains
	# it; nonstandard-port-encrypted.zeek reports it.
	if ( c?$fallback_app )
		return;
	tag_connection(c, "protocol_port_mismatch");
	report(Finding($ts=c$start_time, $uid=c$uid, $id=c$id,
	    $community_id=community_id(c), $note=Protocol_Port_Mismatch,
	    $primary=fmt("%s %s", channel_text(c$id), seen), $detail=fmt(
	    "%s implies %s but carried %s (%d/%d bytes)", p, implied, seen,
	    c$orig$size, c$resp$size)));
	}
