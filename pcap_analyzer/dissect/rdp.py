"""RDP (MS-RDPBCGR): the client opens with a TPKT header (RFC 1006: version 3, a length the segment covers) around
an X.224 Connection Request (code 0xE0), often with a "Cookie: mstshash=" or an RDP negotiation request; the
server answers with an X.224 Connection Confirm (0xD0)."""
from __future__ import annotations

from ..config import Config
from ..model import Flow

_CONNECTION_REQUEST, _CONNECTION_CONFIRM = 0xE0, 0xD0


def x224_code(sample: bytes) -> int:
    """The X.224 TPDU code of the TPKT packet that opens ``sample`` (0 when it does not open with one)."""
    if len(sample) < 7 or sample[0] != 3 or sample[1] != 0:
        return 0
    length = int.from_bytes(sample[2:4], "big")
    if length < 7 or length > len(sample) or sample[4] + 5 > length:
        return 0
    return sample[5] & 0xF0


def dissect(flow: Flow, cfg: Config) -> bool:
    """Fill flow.app when the originator opens with an X.224 Connection Request."""
    if flow.proto != "tcp" or x224_code(flow.orig_sample) != _CONNECTION_REQUEST:
        return False
    flow.app = {"protocol": "rdp", "cookie": b"Cookie: mstshash=" in flow.orig_sample[:256],
                "confirmed": x224_code(flow.resp_sample) == _CONNECTION_CONFIRM}
    return True
