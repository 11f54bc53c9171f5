"""RakNet, the game networking protocol of Roblox, Minecraft Bedrock and many engines: its offline (connection
setup) messages carry a fixed 16-byte magic, right after the message id or after a ping's 8-byte time."""
from __future__ import annotations

from ..config import Config
from ..model import Flow
from .units import datagrams

MAGIC = bytes.fromhex("00ffff00fefefefefdfdfdfd12345678")


def is_offline(data: bytes) -> bool:
    """A RakNet offline message: the magic at offset 1 (connection requests and replies) or 9 (pings, pongs)."""
    return data[1:17] == MAGIC or data[9:25] == MAGIC


def dissect(flow: Flow, cfg: Config) -> bool:
    """Fill flow.app when a datagram is a RakNet offline message."""
    found = datagrams(flow)
    offline = sum(1 for _, d in found if is_offline(d))
    if flow.proto != "udp" or not offline:
        return False
    flow.app = {"protocol": "raknet", "offline_messages": offline, "datagrams": len(found)}
    return True
