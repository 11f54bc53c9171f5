##! nonstandard_port_encrypted: an encrypted protocol (TLS, SSH, QUIC, DTLS)
##! confirmed by Zeek's dynamic protocol detection on a port that is not
##! registered for that analyzer.

@load base/frameworks/analyzer
@load base/protocols/ssh
@load ./main

module FallbackChannels;

export {
	## Analyzer names (as Analyzer::name gives them) that carry encrypted channels.
	option encrypted_analyzers: set[string] = {
		"SSL",
		"SSH",
		"QUIC",
		"DTLS"
	};

	## Extra ports where encryption is expected besides each analyzer's
	## registered ports (e.g. site-specific TLS services).
	## (8443 and the like are deliberately not here: they are where C2
	## falls back to.)
	option encrypted_ports: set[port] = {
		465/tcp,
		853/tcp
	};

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
	if ( p in encrypted_ports
	    || p in Analyzer::registered_ports(atype)
	    || has_starttls_service(c) )
		return;
	report(Finding($ts=network_time(), $uid=c$uid, $id=c$id,
	    $community_id=community_id(c),
	    $indicator="nonstandard_port_encrypted",
	    $note=Nonstandard_Port_Encrypted, $primary=fmt("%s %s",
	    channel_text(c$id), to_lower(name)), $detail=fmt(
	    "%s confirmed on %s, not a port registered for it", name, p)));
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
