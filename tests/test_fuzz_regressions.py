"""Every input the fuzzer ever crashed on (tests/fuzz/crashes/<target>/), and the seeds, replayed through the same
targets: each must end normally or in a one-line InputError, never another exception."""
from __future__ import annotations

import sys
from pathlib import Path

import pytest

FUZZ = Path(__file__).resolve().parent / "fuzz"
sys.path.insert(0, str(FUZZ))
import run as fuzz_run  # noqa: E402
import targets  # noqa: E402


def _cases() -> list[tuple[str, Path]]:
    return [(target, p) for target in fuzz_run.TARGETS
            for p in sorted((fuzz_run.CRASHES / target).glob("*")) if p.is_file() and not p.name.startswith(".")]


@pytest.mark.parametrize("target, case", _cases(), ids=lambda v: v if isinstance(v, str) else v.name)
def test_kept_crash_cases_no_longer_crash(target: str, case: Path) -> None:
    targets.run_quietly(targets.TARGETS[target], case.read_bytes())


@pytest.mark.parametrize("target", fuzz_run.TARGETS)
def test_seeds_and_their_truncations(target: str, tmp_path: Path) -> None:
    fuzz_run.seeds(target, tmp_path)
    for seed in sorted(tmp_path.iterdir()):
        data = seed.read_bytes()
        for cut in sorted({len(data), len(data) // 2, 40, 24, 7, 1, 0}):
            targets.run_quietly(targets.TARGETS[target], data[:cut])
