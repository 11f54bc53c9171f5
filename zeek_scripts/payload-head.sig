# The first payload chunk the originator of a TCP connection sends (nonstandard-port-encrypted.zeek): on a port
# no protocol or application is registered for, the script measures whether it looks random (an encrypted
# protocol Zeek has no analyzer for). One match per connection; silenced (no signatures.log line).
signature fallback-payload-head {
  ip-proto == tcp
  payload /^[\x00-\xff]/
  tcp-state originator
  event "payload head"
}
