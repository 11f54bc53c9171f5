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


def zeek_log_rows(path: Path) -> list[dict[str, str]]:
    """The data rows of a Zeek TSV log as {column: raw text}, columns named by its #fields line."""
    fields: list[str] = []
    rows = []
    for line in path.read_text().splitlines():
        if line.startswith("#fields"):
            fields = line.split("\t")[1:]
        elif line and not line.startswith("#"):
            rows.append(dict(zip(fields, line.split("\t"))))
    return rows


@pytest.fixture(scope="session")
def repo() -> Path:
    return REPO


@pytest.fixture(scope="session")
def shared_pcaps() -> Path:
    if not SHARED_PCAPS.is_dir():
        pytest.skip("../shared/pcaps is not present beside the repository")
    return SHARED_PCAPS
