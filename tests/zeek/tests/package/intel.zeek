# @TEST-DOC: An Intel framework match on a connection becomes an intel_match line and notice.
# The inserted address is the fallback C2 peer of fallback_port_a (pcaps/labels.json scenario).
# @TEST-EXEC: zeek -C -r $TRACES/fallback_port_a.pcap $PACKAGE %INPUT
# @TEST-EXEC: zeek-cut indicator <fallback.log | grep -x intel_match | sort -u >out
# @TEST-EXEC: zeek-cut note <notice.log | grep -x FallbackChannels::Intel_Match | sort -u >>out
# @TEST-EXEC: btest-diff out

event zeek_init()
	{
	Intel::insert([$indicator="198.51.100.23", $indicator_type=Intel::ADDR,
	    $meta=[$source="btest"]]);
	}
