##! nonstandard_port_encrypted: an encrypted protocol (TLS, SSH, QUIC, DTLS)
##! confirmed by Zeek's dynamic protocol detection on a port that is not
##! registered for that analyzer.
##!
##! Application knowledge: a protocol on a customary port is no finding.
##! Customary are the analyzer's registered ports,
##! :zeek:see:`FallbackChannels::encrypted_ports` and the documented
##! application ports of ``app-ports.dat`` (:zeek:see:`FallbackChannels::app_at`). DTLS on a
##! high UDP port is call media (DTLS-SRTP), not a finding. On the ports of
##! VPN, remote-access and P2P tools the package raises only the low-severity
##! notice ``FallbackChannels::Policy_Application``, naming the tool's class.
##!
##! A protocol no analyzer identifies is encrypted when its payload looks
##! random, as the analyzer decides it: only on TCP ports where no protocol
##! or application is customary, the first payload chunk of each side (one
##! signature match per side and connection) is measured with
##! ``find_entropy`` against the analyzer's thresholds
##! (random-payload-thresholds.zeek), and an established connection that no
##! analyzer identified by its end is a finding when either side looked
##! random. (Unidentified UDP on such ports is mostly call media and P2P,
##! which Zeek has no analyzer to tell apart: not judged.)

@load base/frameworks/analyzer
@load base/frameworks/signatures
@load base/protocols/ssh
@load ./main
@load ./random-payload-thresholds

@load-sigs ./app-signatures.sig
@load-sigs ./payload-head.sig

module FallbackChannels;

export {
	## Analyzer names (as Analyzer::name gives them) that carry encrypted channels.
	option encrypted_analyzers: set[string] = {
		"SSL",
		"SSH",
		"QUIC",
		"DTLS"
	};

	## DTLS on UDP ports from this one up is call media (DTLS-SRTP next to
	## STUN and RTP), not a non-standard-port finding.
	option media_dtls_min_port: count = 1024;

	## Application classes (of ``app-ports.dat``, the analyzer's [apps]
	## classes) that are policy
	## questions (an analyst decides whether the tool is allowed): an
	## encrypted protocol on their ports raises
	## ``FallbackChannels::Policy_Application`` instead of a finding.
	option policy_app_classes: set[string] = {
		"VPN",
		"remote access",
		"P2P",
		"tunnel"
	};

	redef enum Notice::Type += {
		## TLS, SSH, QUIC or DTLS on a port not registered for it
		## (nonstandard_port_encrypted).
		Nonstandard_Port_Encrypted,
		## A VPN, remote-access or P2P tool on its documented port: a
		## policy question, not a fallback indicator (low severity; no
		## fallback.log line).
		Policy_Application,
	};

	## Raise ``Policy_Application`` for *app* ("<class>: <application>")
	## seen on *c* carrying *what*, when its class is a policy question;
	## returns whether *app* is a known application at all ("" is not).
	global policy_application: function(c: connection, app: string, what: string)
	    : bool;

	## Services that upgrade to TLS in-band (STARTTLS); TLS inside them is expected.
	option starttls_services: set[string] = {
		"smtp",
		"imap",
		"pop3",
		"ftp",
		"xmpp",
		"ldap",
		"postgresql",
		"mysql",
		"rdp",
		"irc"
	};
}

## The class of *app* ("<class>: <application>").
function app_class(app: string): string
	{
	return split_string1(app, /: /)[0];
	}

function policy_application(c: connection, app: string, what: string): bool
	{
	if ( app == "" )
		return F;
	if ( app_class(app) in policy_app_classes )
		NOTICE(Notice::Info($note=Policy_Application, $msg=fmt(
		    "%s on %s (%s): a policy question, not a fallback", app,
		    c$id$resp_p, what), $conn=c, $identifier=cat(c$id$orig_h,
		    "|", app), $suppress_for=report_interval));
	return T;
	}

# The payload signatures of app-signatures.sig name applications for this
# script; they are no alarms of their own.
redef Signatures::actions += {
	["fallback-app-openvpn-tcp"] = Signatures::SIG_IGNORE,
	["fallback-payload-head"] = Signatures::SIG_IGNORE,
	["fallback-payload-head-resp"] = Signatures::SIG_IGNORE,
};

redef record connection += {
	## The application ("<class>: <application>") a signature of
	## app-signatures.sig recognised on the connection.
	fallback_app: string &optional;
	## A side's first payload chunk looked random, on a port where no
	## protocol is customary: its measure ("entropy ..., chi-square ...").
	fallback_random: string &optional;
};

## Measure the first payload chunk one side of a connection sent, on a port
## where no protocol or application is customary: whether it looks random.
## The first side that did is kept.
function measure_payload_head(c: connection, data: string, is_orig: bool)
	{
	if ( c?$fallback_random
	    || |data| < random_min_bytes
	    || customary_port(c$id$resp_p, "") )
		return;
	local m = find_entropy(data);
	if ( m$entropy >= random_entropy || m$chi_square <= random_max_chi_square )
		c$fallback_random = fmt("entropy %.2f bits/byte, chi-square %.1f over the %sfirst %d bytes",
		    m$entropy, m$chi_square, is_orig ? "" : "server's ", |data|);
	}

event signature_match(state: signature_state, msg: string, data: string)
	{
	if ( /^fallback-app-/ in state$sig_id )
		state$conn$fallback_app = msg;
	else if ( /^fallback-payload-head/ in state$sig_id )
		measure_payload_head(state$conn, data, state$is_orig);
	}

# An established TCP connection one of whose sides spoke random-looking bytes
# on a port where no protocol is customary, and that no analyzer identified: an
# encrypted protocol on a non-standard port. Runs before main.zeek shares
# the connection (priority -3), so the attempt carries the tag.
event connection_state_remove(c: connection)
	{
	if ( ! c?$fallback_random
	    || |c$service| > 0
	    || c?$fallback_app
	    || c$resp$size == 0
	    || ! c?$history
	    || /h/ !in c$history )
		return;
	tag_connection(c, "nonstandard_port_encrypted");
	report(Finding($ts=c$start_time, $uid=c$uid, $id=c$id,
	    $community_id=community_id(c), $note=Nonstandard_Port_Encrypted,
	    $primary=fmt("%s unidentified", channel_text(c$id)), $detail=fmt("an unidentified protocol whose payload looks random (%s) on %s, not a port customary for any protocol",
	    c$fallback_random, c$id$resp_p)));
	}

# An application recognised by its payload: on one of its documented ports
# (app-ports.dat, an entry of the same class) a policy notice at most; elsewhere (OpenVPN on 443) a
# nonstandard_port_encrypted finding that names its class. Runs before
# main.zeek shares the connection (priority -3), so the attempt carries it.
event connection_state_remove(c: connection)
	{
	if ( ! c?$fallback_app )
		return;
	local app = c$fallback_app;
	local p = c$id$resp_p;
	local documented = app_at(p, "");
	if ( documented != "" && app_class(documented) == app_class(app) )
		{
		policy_application(c, app, "recognised by its payload");
		return;
		}
	tag_connection(c, "nonstandard_port_encrypted");
	report(Finding($ts=c$start_time, $uid=c$uid, $id=c$id,
	    $community_id=community_id(c), $note=Nonstandard_Port_Encrypted,
	    $primary=fmt("%s %s", channel_text(c$id), app), $detail=fmt("%s recognised by its payload on %s, not a port documented for it (a policy question: %s)",
	    app, p, app_class(app))));
	}

## Whether one of the connection's identified services upgrades to TLS in-band.
function has_starttls_service(c: connection): bool
	{
	for ( s in c$service )
		if ( to_lower(s) in starttls_services )
			return T;
	return F;
	}

## Report *name* (an encrypted analyzer of type *atype*) on *c* unless its
## port is one where that encryption is expected.
function check_encrypted(c: connection, atype: AllAnalyzers::Tag, name: string)
	{
	local p = c$id$resp_p;
	# TLS inside an HTTP CONNECT tunnel runs on the proxy's port (Zeek
	# analyzes the tunnel after the proxy's 200): expected, not a finding.
	if ( p in encrypted_ports
	    || p in Analyzer::registered_ports(atype)
	    || has_starttls_service(c)
	    || c?$fallback_target )
		return;
	if ( name == "DTLS"
	    && get_port_transport_proto(p) == udp
	    && port_to_count(p) >= media_dtls_min_port )
		return;
	if ( policy_application(c, app_at(p, to_lower(name)), to_lower(name)) )
		return;
	tag_connection(c, "nonstandard_port_encrypted");
	report(Finding($ts=network_time(), $uid=c$uid, $id=c$id,
	    $community_id=community_id(c), $note=Nonstandard_Port_Encrypted,
	    $primary=fmt("%s %s", channel_text(c$id), to_lower(name)),
	    $detail=fmt("%s confirmed on %s, not a port registered for it",
	    name, p)));
	}

event analyzer_confirmation_info(atype: AllAnalyzers::Tag,
    info: AnalyzerConfirmationInfo)
	{
	if ( ! is_protocol_analyzer(atype) || ! info?$c )
		return;
	local name = Analyzer::name(atype);
	if ( name !in encrypted_analyzers )
		return;
	check_encrypted(info$c, atype, name);
	}

# Zeek confirms SSH only at NEWKEYS. Both version banners already show that
# the two ends speak SSH, so a session whose key exchange Zeek cannot follow
# is still found. Runs after base/protocols/ssh filled c$ssh.
event ssh_server_version(c: connection, version: string) &priority=-5
	{
	if ( "SSH" in encrypted_analyzers
	    && c?$ssh
	    && c$ssh?$client
	    && c$ssh?$server )
		check_encrypted(c, Analyzer::ANALYZER_SSH, "SSH");
	}
