# The nodes of the cluster btests (tests/cluster/*.zeek), loaded after the package: workers read their capture once
# the manager and the proxy are up and stop at its end; the proxy notes each worker's going (NAME.gone) and, once
# worker-2 is gone, sends its log writes on and tells the manager, which stops.
@load base/frameworks/cluster

redef Log::default_rotation_interval = 0secs;

module ClusterTest;

export {
	## The proxy has handled everything both workers sent.
	global proxy_done: event();
}

@if ( Cluster::local_node_type() == Cluster::WORKER )
global up: set[string];

# Read packets only once the proxy that owns the originators (and the manager
# that writes the logs) is up.
event zeek_init()
	{
	suspend_processing();
	}

event Cluster::node_up(name: string, id: string)
	{
	add up[name];
	if ( "manager-1" in up && "proxy-1" in up )
		continue_processing();
	}

# At the capture's end Zeek stops: it ends the connections still open and
# shares them with the proxy before it shuts down.
event Pcap::file_done(path: string)
	{
	terminate();
	}
@endif

@if ( Cluster::local_node_type() != Cluster::WORKER )
redef exit_only_after_terminate = T;
@endif

@if ( Cluster::local_node_type() == Cluster::PROXY )
# A worker's peering ends after everything it sent, so when the proxy sees it
# go it has handled all of its attempts.
event Cluster::node_down(name: string, id: string)
	{
	local f = open(name + ".gone");
	close(f);
	if ( name == "worker-2" )
		{
		# Send the findings on their way; the manager gets them before this
		# event, which takes the same path.
		Broker::flush_logs();
		Broker::publish(Cluster::manager_topic, ClusterTest::proxy_done);
		}
	if ( name == "manager-1" )
		terminate();
	}
@endif

@if ( Cluster::local_node_type() == Cluster::MANAGER )
event ClusterTest::proxy_done()
	{
	terminate();
	}
@endif
