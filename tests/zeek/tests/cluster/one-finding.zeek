# @TEST-DOC: A cluster (manager, proxy, two workers) gives ONE failed_then_fallback for one originator whose failed attempts (TLS to 443 timing out) are seen by worker-1 and whose fallback (TLS on 8443) is seen by worker-2: both workers send their attempts to the proxy that owns the originator (Cluster::publish_hrw), which pairs them. Alone, neither worker's view has the finding. Broker listens on 127.0.0.1 only.
#
# @TEST-PORT: BROKER_PORT1
# @TEST-PORT: BROKER_PORT2
# @TEST-PORT: BROKER_PORT3
# @TEST-PORT: BROKER_PORT4
#
# What each worker sees, alone: no failed_then_fallback (worker-2's TLS on 8443 is a nonstandard_port_encrypted).
# @TEST-EXEC: fallback-cut alone-1 $TRACES/fallback_port_a.pcap -f "tcp port 443" >alone-1.out
# @TEST-EXEC: fallback-cut alone-2 $TRACES/fallback_port_a.pcap -f "tcp port 8443" >alone-2.out
# @TEST-EXEC: btest-diff alone-1.out
# @TEST-EXEC: btest-diff alone-2.out
#
# The cluster. A worker reads its capture once the manager and the proxy are up and exits at its end (Zeek ends
# the connections still open and shares them before it stops). worker-2 starts once the proxy has seen worker-1
# go (after everything worker-1 sent), so the proxy's input, and the log, are the same on every run.
# @TEST-EXEC: btest-bg-run manager-1 "cp $FILES/cluster-layout.zeek . && CLUSTER_NODE=manager-1 zeek $PACKAGE $FILES/cluster-test.zeek"
# @TEST-EXEC: btest-bg-run proxy-1 "cp $FILES/cluster-layout.zeek . && CLUSTER_NODE=proxy-1 zeek $PACKAGE $FILES/cluster-test.zeek"
# @TEST-EXEC: btest-bg-run worker-1 "cp $FILES/cluster-layout.zeek . && CLUSTER_NODE=worker-1 zeek -C -r $TRACES/fallback_port_a.pcap -f 'tcp port 443' $PACKAGE $FILES/cluster-test.zeek"
# @TEST-EXEC: wait-for-file proxy-1/worker-1.gone 30 || (btest-bg-wait -k 1 && false)
# @TEST-EXEC: btest-bg-run worker-2 "cp $FILES/cluster-layout.zeek . && CLUSTER_NODE=worker-2 zeek -C -r $TRACES/fallback_port_a.pcap -f 'tcp port 8443' $PACKAGE $FILES/cluster-test.zeek"
# @TEST-EXEC: btest-bg-wait 40
#
# One failed_then_fallback, raised on the proxy (notice.log's peer_descr), the same line as a standalone run of
# the whole capture (uids aside: each node numbers its own connections).
# @TEST-EXEC: zeek-cut ts uid id.orig_h indicator primary fallback detail <manager-1/fallback.log | sort >fallback.out
# @TEST-EXEC: btest-diff fallback.out
# @TEST-EXEC: zeek-cut note src peer_descr <manager-1/notice.log | sort >notices.out
# @TEST-EXEC: btest-diff notices.out
# @TEST-EXEC: test "$(grep -c -w failed_then_fallback fallback.out)" = 1
# @TEST-EXEC: fallback-cut standalone $TRACES/fallback_port_a.pcap | grep -w failed_then_fallback | cut -f 1,3- >standalone.cut
# @TEST-EXEC: grep -w failed_then_fallback fallback.out | cut -f 1,3- | diff standalone.cut -
#
# The nodes: Files/cluster-test.zeek (layout: Files/cluster-layout.zeek).
