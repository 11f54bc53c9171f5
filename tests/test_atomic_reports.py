"""All-or-nothing report sets (issue 13): a failure while writing leaves the previous set as it was, and no
temporary file behind."""
from __future__ import annotations

import errno
from pathlib import Path

import pytest
from clirun import assert_one_error_line, run_cli, snapshot
from conftest import SCENARIOS

from pcap_analyzer import cli
from pcap_analyzer.report import html

CAPTURE = SCENARIOS / "demo_office.pcap"
OTHER = min((p for p in SCENARIOS.glob("*.pcap") if p != CAPTURE), key=lambda p: p.stat().st_size)


def _old_set(outdir: Path) -> dict[str, bytes]:
    assert cli.main(["analyze", str(OTHER), "-o", str(outdir), "-q"]) in (0, 1)
    return snapshot(outdir)


def test_fallback_log_that_is_a_directory_changes_nothing(tmp_path: Path) -> None:
    out = tmp_path / "out"
    before = _old_set(out)
    (out / "fallback.log").unlink()
    (out / "fallback.log").mkdir()
    before = snapshot(out)
    line = assert_one_error_line(run_cli("analyze", CAPTURE, "-o", out))
    assert "fallback.log" in line and "not a regular file" in line
    assert snapshot(out) == before
    assert sorted(p.name for p in out.iterdir()) == ["fallback.log", "report.html", "report.json"]


def test_disk_full_on_the_html_keeps_the_previous_set(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "out"
    before = _old_set(out)

    def disk_full(path: Path, text: str) -> None:
        path.write_text(text[: len(text) // 2], encoding="utf-8")  # half of it got to disk
        raise OSError(errno.ENOSPC, "No space left on device", str(path))

    monkeypatch.setattr(html, "atomic_write", disk_full)
    capsys.readouterr()
    assert cli.main(["analyze", str(CAPTURE), "-o", str(out), "-q"]) == 2
    err = capsys.readouterr().err
    assert "No space left on device" in err and "Traceback" not in err and len(err.splitlines()) == 1
    assert snapshot(out) == before  # the new report.json and fallback.log were not moved in
    assert sorted(p.name for p in out.iterdir()) == ["fallback.log", "report.html", "report.json"]


def test_a_failed_rename_puts_back_the_reports_already_replaced(tmp_path: Path, monkeypatch: pytest.MonkeyPatch
                                                                ) -> None:
    from pcap_analyzer import atomic

    targets = [tmp_path / n for n in ("a", "b", "c")]
    for t in targets:
        t.write_text("old " + t.name)
    real = atomic.os.replace

    def failing(src: str, dst: str) -> None:
        if Path(dst).name == "c" and ".part" in Path(src).name:
            raise OSError(errno.EIO, "Input/output error", str(dst))
        real(src, dst)

    monkeypatch.setattr(atomic.os, "replace", failing)
    with pytest.raises(cli.InputError, match="Input/output error"):
        atomic.write_all([(t, lambda p, t=t: p.write_text("new " + t.name)) for t in targets])
    assert [t.read_text() for t in targets] == ["old a", "old b", "old c"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a", "b", "c"]
