"""Run `fallback-hunt` as a user does: a separate process, stdin closed, stdout/stderr captured."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path


def run_cli(*args: str | Path, env: dict[str, str] | None = None, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "pcap_analyzer", *map(str, args)], capture_output=True, text=True,
                          stdin=subprocess.DEVNULL, env=env, timeout=timeout)


#: Runs argv[1:] as a grandchild and prints its exit code and peak RSS (KB). Linux carries the peak RSS of the
#: process that forked into the child's ru_maxrss, so a child forked from pytest itself reports pytest's size when
#: that is larger (421 MB seen late in a suite run); forked from this small launcher, it reports its own.
_LAUNCHER = """import os, sys
pid = os.fork()
if pid == 0:
    null = os.open(os.devnull, os.O_WRONLY)
    os.dup2(null, 1)
    os.dup2(null, 2)
    os.execv(sys.executable, [sys.executable, *sys.argv[1:]])
_, status, usage = os.wait4(pid, 0)
print(os.waitstatus_to_exitcode(status), usage.ru_maxrss)
"""


def peak_rss_run(*args: str | Path) -> tuple[int, float]:
    """(exit code, peak RSS MB) of one `fallback-hunt` run, its output discarded."""
    done = subprocess.run([sys.executable, "-c", _LAUNCHER, "-m", "pcap_analyzer", *map(str, args)],
                          capture_output=True, text=True, check=True, stdin=subprocess.DEVNULL)
    code, rss_kb = map(int, done.stdout.split())
    return code, rss_kb / 1024


def snapshot(folder: Path) -> dict[str, bytes]:
    """Every file under ``folder`` with its content (to prove nothing in it was touched)."""
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def assert_one_error_line(proc: subprocess.CompletedProcess) -> str:
    """Exit 2, exactly one stderr line `fallback-hunt: error: ...`, no traceback; returns the line."""
    assert proc.returncode == 2, (proc.returncode, proc.stdout, proc.stderr)
    lines = proc.stderr.splitlines()
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith("fallback-hunt: error: ") and len(lines[0]) > len("fallback-hunt: error: ") + 3
    assert "Traceback" not in proc.stderr + proc.stdout
    return lines[0]


def assert_schema_valid(doc: dict) -> None:
    """``doc`` is valid against pcap_analyzer/data/report.schema.json."""
    import json
    from importlib import resources

    import jsonschema
    schema = json.loads(resources.files("pcap_analyzer").joinpath("data/report.schema.json").read_text())
    jsonschema.validate(doc, schema, cls=jsonschema.Draft202012Validator)
