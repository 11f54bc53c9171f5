# The first payload chunk each side of a TCP connection sends (nonstandard-port-encrypted.zeek): on a port no
# protocol or application is registered for, the script measures whether it looks random (an encrypted protocol
# Zeek has no analyzer for). One match per side and connection, within the first dpd_buffer_size bytes Zeek
# matches signatures on; silenced (no signatures.log line).
signature fallback-payload-head {
  ip-proto == tcp
  payload /^[\x00-\xff]/
  tcp-state originator
  event "payload head"
}

signature fallback-payload-head-resp {
  ip-proto == tcp
  payload /^[\x00-\xff]/
  tcp-state responder
  event "payload head"
}
