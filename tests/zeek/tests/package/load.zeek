# @TEST-DOC: The package parses, loads with Zeek's default scripts and runs on a capture without script errors.
# @TEST-EXEC: zeek --parse-only $PACKAGE
# @TEST-EXEC: zeek -C -r $TRACES/benign_vpn_udp_a.pcap $PACKAGE %INPUT
# @TEST-EXEC: touch reporter.log && grep -c 'Reporter::ERROR' reporter.log >errors || true
# @TEST-EXEC: btest-diff errors

