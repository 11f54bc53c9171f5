# @TEST-DOC: A cluster (manager, proxy, two workers) gives ONE failed_then_fallback for one originator whose failed attempts (TLS to 443 timing out) are seen by worker-1 and whose fallback (TLS on 8443) is seen by worker-2: both workers send their attempts to the proxy that owns the originator (Cluster::publish_hrw), which pairs them. Standalone, neither worker's view has the finding. Broker listens on 127.0.0.1 only.
# @TEST-KNOWN-FAILURE: no baseline yet: written while no Zeek 7 was at hand; run btest -U after reading the output
#
# @TEST-PORT: BROKER_PORT1
# @TEST-PORT: BROKER_PORT2
# @TEST-PORT: BROKER_PORT3
# @TEST-PORT: BROKER_PORT4
#
# What each worker sees, alone: no failed_then_fallback.
# @TEST-EXEC: mkdir alone-1 && cd alone-1 && zeek -C -r $TRACES/fallback_port_a.pcap -f "tcp port 443" $PACKAGE && touch fallback.log
# @TEST-EXEC: mkdir alone-2 && cd alone-2 && zeek -C -r $TRACES/fallback_port_a.pcap -f "tcp port 8443" $PACKAGE && touch fallback.log
# @TEST-EXEC: for n in 1 2; do echo "worker-$n alone:"; zeek-cut indicator <alone-$n/fallback.log | sort | uniq -c; done >alone.out
# @TEST-EXEC: btest-diff alone.out
#
# The cluster: worker-2 starts once worker-1 has sent everything, so the proxy's input (and the log) is the same
# on every run.
# @TEST-EXEC: btest-bg-run manager-1 "cp $FILES/cluster-layout.zeek . && CLUSTER_NODE=manager-1 zeek $PACKAGE %INPUT"
# @TEST-EXEC: btest-bg-run proxy-1 "cp $FILES/cluster-layout.zeek . && CLUSTER_NODE=proxy-1 zeek $PACKAGE %INPUT"
# @TEST-EXEC: btest-bg-run worker-1 "cp $FILES/cluster-layout.zeek . && CLUSTER_NODE=worker-1 zeek -C -r $TRACES/fallback_port_a.pcap -f 'tcp port 443' $PACKAGE %INPUT"
# @TEST-EXEC: wait-for-file manager-1/worker-1.done 60 || (btest-bg-wait -k 1 && false)
# @TEST-EXEC: btest-bg-run worker-2 "cp $FILES/cluster-layout.zeek . && CLUSTER_NODE=worker-2 zeek -C -r $TRACES/fallback_port_a.pcap -f 'tcp port 8443' $PACKAGE %INPUT"
# @TEST-EXEC: btest-bg-wait 90
# @TEST-EXEC: zeek-cut ts uid id.orig_h indicator primary fallback detail <manager-1/fallback.log >fallback.out
# @TEST-EXEC: btest-diff fallback.out
# @TEST-EXEC: test "$(zeek-cut indicator <manager-1/fallback.log | grep -c -x failed_then_fallback)" = 1
# @TEST-EXEC: zeek-cut note src <manager-1/notice.log | sort | uniq -c >notices.out
# @TEST-EXEC: btest-diff notices.out

@load base/frameworks/cluster

redef Log::default_rotation_interval = 0secs;
redef exit_only_after_terminate = T;

module ClusterTest;

export {
	## A worker has read its capture and sent every attempt.
	global worker_done: event(node: string);
	global send_done: event();
	global stop: event();
}

@if ( Cluster::local_node_type() == Cluster::WORKER )
# Read packets only once the proxy that owns the originators is up.
event zeek_init()
	{
	suspend_processing();
	}

event Cluster::node_up(name: string, id: string)
	{
	if ( name == "proxy-1" )
		continue_processing();
	}

# After the capture, network time catches up with the clock: the connections still open end (and are
# shared) at once. Tell the manager a moment later.
event Pcap::file_done(path: string)
	{
	schedule 2secs { ClusterTest::send_done() };
	}

event ClusterTest::send_done()
	{
	Broker::publish(Cluster::manager_topic, ClusterTest::worker_done,
	    Cluster::node);
	}
@endif

@if ( Cluster::local_node_type() == Cluster::MANAGER )
global done_workers: set[string];

event ClusterTest::worker_done(node: string)
	{
	local f = open(node + ".done");
	close(f);
	add done_workers[node];
	# Give the proxy's findings time to reach the log.
	if ( |done_workers| == 2 )
		schedule 2secs { ClusterTest::stop() };
	}

event ClusterTest::stop()
	{
	terminate();
	}
@endif

@if ( Cluster::local_node_type() != Cluster::MANAGER )
event Broker::peer_lost(endpoint: Broker::EndpointInfo, msg: string)
	{
	terminate();
	}
@endif
