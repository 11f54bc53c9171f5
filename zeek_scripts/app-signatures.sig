# Applications that Zeek 7 has no analyzer for, recognised by payload (nonstandard-port-encrypted.zeek): on a
# port documented for them (app-ports.dat) they raise at most a Policy_Application notice; on
# another port a nonstandard_port_encrypted finding that names their class, instead of an unidentified
# protocol_port_mismatch.
# The event text is "<class>: <application>", the same form as app-ports.dat (app-ports.zeek).

# OpenVPN over TCP: each packet starts with a 16-bit length, then the opcode (high 5 bits) and key id (low 3
# bits, 0 at first). The client opens with P_CONTROL_HARD_RESET_CLIENT_V2 or _V3 (opcode 7 or 10: 0x38, 0x50),
# the server answers with P_CONTROL_HARD_RESET_SERVER_V2 (opcode 8: 0x40). Both directions must match.
signature fallback-app-openvpn-tcp-client {
  ip-proto == tcp
  payload /^[\x00\x01][\x00-\xff][\x38\x50]/
  tcp-state originator
}

signature fallback-app-openvpn-tcp {
  ip-proto == tcp
  payload /^[\x00\x01][\x00-\xff]\x40/
  tcp-state responder
  requires-reverse-signature fallback-app-openvpn-tcp-client
  event "VPN: OpenVPN"
}
