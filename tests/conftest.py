"""Shared paths. ../shared/ sits beside the repository (read-only, read in place, never copied)."""
from __future__ import annotations

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
SHARED_PCAPS = SHARED / "pcaps"
SHARED_ZEEK_LOGS = SHARED / "zeek-logs"
SCENARIOS = REPO / "pcaps"


def shared_captures(kind: str) -> list[Path]:
    """Captures in ../shared/pcaps/<kind>/, sorted; empty when shared/ is absent."""
    folder = SHARED_PCAPS / kind
    return sorted(p for p in folder.iterdir() if p.suffix in (".pcap", ".pcapng", ".gz")) if folder.is_dir() else []


@pytest.fixture(scope="session")
def repo() -> Path:
    return REPO


@pytest.fixture(scope="session")
def shared_pcaps() -> Path:
    if not SHARED_PCAPS.is_dir():
        pytest.skip("../shared/pcaps is not present beside the repository")
    return SHARED_PCAPS
