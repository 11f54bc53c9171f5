# @TEST-DOC: An encrypted protocol no analyzer identifies is judged on the first payload chunk of each side, as the analyzer judges either side's head: a client's short cleartext hello (too short to judge), then 600 random bytes from the server on 40123/tcp, a port customary for no protocol, is a nonstandard_port_encrypted line whose detail names the server's bytes; the same with text (from another server, on 40124/tcp) is none. The analyzer reports that one connection too (resp_entropy 7.7). The capture is written by the project's scenario writer (Scripts/server-first-capture).
# @TEST-REQUIRES: python3 -c 'import scapy'
# @TEST-EXEC: server-first-capture server-first.pcap
# @TEST-EXEC: fallback-cut zeek "$PWD/server-first.pcap" >fallback.out
# @TEST-EXEC: btest-diff fallback.out
