"""Every core, and a cluster: the captures read and analysed by Dask tasks (``dask.distributed``), with results
identical to the serial run.

With a few workers (``[parallel] partition_workers``) ``partition`` reads the captures by host partitions: every
worker reads every packet and keeps the flow keys of its share of the hosts, so nothing is cut or stitched.  Else
``plan`` cuts the inputs into segments (a capture, or a byte range of a big classic pcap cut at the serial read's
own chunk boundaries); ``segment`` is the task that reads one (flows annotated and compacted as the serial read
makes them, kept on its worker as a ``codec.FlowBatch``, plus the keys its table still held open at its end and every
key it saw); ``stitch`` finds the keys a boundary may have cut and replays exactly their packets through one flow
table, as the serial read would have seen them; ``read`` puts the reading together; ``hosts`` shuffles the flows by
internal host and runs detection per group of hosts on the workers, bringing back host reports and the flows they
show; ``engine`` is the Dask client (an embedded LocalCluster, or a real scheduler) or, for one worker, plain calls
in this process; ``zeeklogs`` reads days of rotated Zeek logs as a Dask dataframe for sensor-only mode.
"""
