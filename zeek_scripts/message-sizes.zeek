##! The client's message sizes on a connection, for failed_then_fallback's
##! ``payload_shape`` link: an implant that loses its channel sends the same
##! check-ins and reports over the next one, so their sizes recur.
##!
##! A UDP connection's messages are its originator's first
##! :zeek:see:`FallbackChannels::max_message_sizes` datagrams, measured with
##! the connection-threshold framework (one event per datagram, on those
##! datagrams only); a TCP connection's message is its originator's payload
##! (one check-in per connection). Loaded by ``main.zeek``.

@load base/protocols/conn/thresholds

module FallbackChannels;

export {
	## Datagrams of a UDP connection whose sizes are kept.
	option max_message_sizes: count = 16;

	## The client's message sizes on *c* (empty when it sent no payload).
	global message_sizes: function(c: connection): vector of count;
}

redef record connection += {
	## Payload sizes of the originator's first datagrams (UDP).
	fallback_sizes: vector of count &optional;
};

event new_connection(c: connection)
	{
	# Name resolution and local discovery are no channel (ignored_ports).
	if ( get_port_transport_proto(c$id$resp_p) == udp
	    && c$id$resp_p !in ignored_ports
	    && max_message_sizes > 0 )
		ConnThreshold::set_packets_threshold(c, 1, T);
	}

event ConnThreshold::packets_threshold_crossed(c: connection, threshold: count,
    is_orig: bool)
	{
	if ( ! is_orig || get_port_transport_proto(c$id$resp_p) != udp )
		return;
	if ( ! c?$fallback_sizes )
		c$fallback_sizes = vector();
	local before = 0;
	for ( _, size in c$fallback_sizes )
		before += size;
	if ( c$orig$size > before )
		c$fallback_sizes[|c$fallback_sizes|] = c$orig$size - before;
	if ( threshold < max_message_sizes )
		ConnThreshold::set_packets_threshold(c, threshold + 1, T);
	}

function message_sizes(c: connection): vector of count
	{
	if ( get_port_transport_proto(c$id$resp_p) == udp )
		return c?$fallback_sizes ? c$fallback_sizes : vector();
	if ( get_port_transport_proto(c$id$resp_p) == tcp && c$orig$size > 0 )
		return vector(c$orig$size);
	return vector();
	}
