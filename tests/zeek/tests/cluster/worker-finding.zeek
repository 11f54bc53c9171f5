# @TEST-DOC: A finding a worker decides on one connection is logged ONCE by a cluster (manager, proxy, two workers), although both workers find it: fallback_port_a's TLS connections to 8443 (a nonstandard_port_encrypted) are split between the workers by the client port's parity, as a flow-hashing load balancer splits one host's connections. Each worker sends its finding to the proxy that owns the originator (Cluster::publish_hrw), which logs and notices it once. Broker listens on 127.0.0.1 only.
#
# @TEST-PORT: BROKER_PORT1
# @TEST-PORT: BROKER_PORT2
# @TEST-PORT: BROKER_PORT3
# @TEST-PORT: BROKER_PORT4
#
# What each worker sees, alone (filters Files/client-port-even.bpf, Files/client-port-odd.bpf): the same
# nonstandard_port_encrypted finding, each on its own first connection.
# @TEST-EXEC: fallback-cut alone-1 $TRACES/fallback_port_a.pcap -f "$(cat $FILES/client-port-even.bpf)" >alone-1.out
# @TEST-EXEC: fallback-cut alone-2 $TRACES/fallback_port_a.pcap -f "$(cat $FILES/client-port-odd.bpf)" >alone-2.out
# @TEST-EXEC: btest-diff alone-1.out
# @TEST-EXEC: btest-diff alone-2.out
#
# The cluster (Files/cluster-test.zeek, as in one-finding.zeek): worker-2 starts once the proxy has seen worker-1
# go, so worker-1's finding arrives first on every run.
# @TEST-EXEC: btest-bg-run manager-1 "cp $FILES/cluster-layout.zeek . && CLUSTER_NODE=manager-1 zeek $PACKAGE $FILES/cluster-test.zeek"
# @TEST-EXEC: btest-bg-run proxy-1 "cp $FILES/cluster-layout.zeek . && CLUSTER_NODE=proxy-1 zeek $PACKAGE $FILES/cluster-test.zeek"
# @TEST-EXEC: btest-bg-run worker-1 "cp $FILES/cluster-layout.zeek . && CLUSTER_NODE=worker-1 zeek -C -r $TRACES/fallback_port_a.pcap -f \"$(cat $FILES/client-port-even.bpf)\" $PACKAGE $FILES/cluster-test.zeek"
# @TEST-EXEC: wait-for-file proxy-1/worker-1.gone 30 || (btest-bg-wait -k 1 && false)
# @TEST-EXEC: btest-bg-run worker-2 "cp $FILES/cluster-layout.zeek . && CLUSTER_NODE=worker-2 zeek -C -r $TRACES/fallback_port_a.pcap -f \"$(cat $FILES/client-port-odd.bpf)\" $PACKAGE $FILES/cluster-test.zeek"
# @TEST-EXEC: btest-bg-wait 40
#
# One line, worker-1's (uids aside: each node numbers its own connections), and one notice, raised on the proxy.
# @TEST-EXEC: zeek-cut ts uid id.orig_h indicator primary fallback detail <manager-1/fallback.log | sort >fallback.out
# @TEST-EXEC: btest-diff fallback.out
# @TEST-EXEC: zeek-cut note src peer_descr <manager-1/notice.log | sort >notices.out
# @TEST-EXEC: btest-diff notices.out
# @TEST-EXEC: test "$(wc -l <fallback.out)" = 1
# @TEST-EXEC: cut -f 1,3- fallback.out >cluster.cut && cut -f 1,3- alone-1.out | diff - cluster.cut
