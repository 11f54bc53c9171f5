"""Protocol numbers, TCP flag bits, the TCP sequence space and Zeek's TCP endpoint states (its
TCP_Endpoint::EndpointState), shared by the flow modules."""
from __future__ import annotations

TCP, UDP = 6, 17
PORTED = (TCP, UDP, 132)
FIN, SYN, RST, ACK = 0x01, 0x02, 0x04, 0x10
INACTIVE, SYN_SENT, SYN_ACK_SENT, PARTIAL, ESTABLISHED, CLOSED, RESET = range(7)
SEQ_SPACE = 1 << 32
HALF_SEQ = 1 << 31
