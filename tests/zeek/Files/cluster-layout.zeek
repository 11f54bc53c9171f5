# The cluster of tests/cluster/*.zeek: a manager, a proxy and two workers. Broker listens on 127.0.0.1 only; the
# ports come from btest's @TEST-PORT.
redef Broker::default_listen_address = "127.0.0.1";

redef Cluster::nodes = {
	["manager-1"] = [$node_type=Cluster::MANAGER, $ip=127.0.0.1, $p=to_port(getenv(
	    "BROKER_PORT1"))],
	["proxy-1"] = [$node_type=Cluster::PROXY, $ip=127.0.0.1, $p=to_port(getenv(
	    "BROKER_PORT2")), $manager="manager-1"],
	["worker-1"] = [$node_type=Cluster::WORKER, $ip=127.0.0.1, $p=to_port(getenv(
	    "BROKER_PORT3")), $manager="manager-1"],
	["worker-2"] = [$node_type=Cluster::WORKER, $ip=127.0.0.1, $p=to_port(getenv(
	    "BROKER_PORT4")), $manager="manager-1"],
};
