"""No stray warnings (issue 13): a library warning raised during a run goes into the report's notes, once, and
not onto stderr next to real messages."""
from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np
import pytest
from conftest import SCENARIOS

from pcap_analyzer import cli, detect, pipeline


def test_library_warnings_become_notes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                       capsys: pytest.CaptureFixture[str]) -> None:
    real = detect.run_all

    def noisy(ctx):
        for _ in range(3):
            warnings.warn("Downcasting object dtype arrays on .fillna is deprecated", FutureWarning)
            np.log(np.zeros(1))  # numpy RuntimeWarning: divide by zero
        return real(ctx)

    monkeypatch.setattr(pipeline.detect, "run_all", noisy)
    capsys.readouterr()
    code = cli.main(["analyze", str(SCENARIOS / "demo_office.pcap"), "-o", str(tmp_path), "-q"])
    assert code in (0, 1)
    assert capsys.readouterr().err == ""
    notes = json.loads((tmp_path / "report.json").read_text())["notes"]
    future = [n for n in notes if "FutureWarning" in n and "fillna" in n]
    runtime = [n for n in notes if "RuntimeWarning" in n and "divide by zero" in n]
    assert len(future) == 1 and len(runtime) == 1, notes
