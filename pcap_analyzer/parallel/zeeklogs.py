"""Sensor-only mode at scale: days of rotated Zeek logs (TSV or JSON lines, plain or .gz) read as one Dask
dataframe per log type, one partition per file, each file parsed by zat on a worker (``zeeklogs.read_log``: a .gz
file is decompressed to a temporary file there first, as zat reads plain files only).  The rows come back in file
order and are concatenated as ``zeeklogs.frames_of`` concatenates them, with the notes of lines skipped."""
from __future__ import annotations

from pathlib import Path

import pandas as pd

from ..sources import zeeklogs
from .engine import Session


def skipped_note(frame: pd.DataFrame) -> list[str]:
    """The note of the lines a file's reading skipped (none: [])."""
    return [frame.attrs["skipped"]] if "skipped" in frame.attrs else []


def log_frame(paths: list[Path], name: str):  # -> tuple[dask.dataframe.DataFrame, list[Delayed]]
    """The rows of one log type's files as a Dask dataframe, one partition per file read by zat on a worker; and
    those reads (their frames carry the note of lines skipped)."""
    import dask.dataframe as dd
    from dask import delayed

    parts = [delayed(zeeklogs.read_log, pure=True)(path, zeeklogs.COLUMNS[name]) for path in paths]
    return dd.from_delayed(parts, meta=pd.DataFrame(columns=zeeklogs.COLUMNS[name] or []), verify_meta=False), parts


def frame_reader(session: Session) -> zeeklogs.FrameReader:
    """A ``zeeklogs.read_logs`` frame reader that reads on the session's workers."""

    def read(files: dict[str, list[Path]]) -> dict[str, tuple[pd.DataFrame | None, list[str]]]:
        import dask
        from dask import delayed

        size = sum(p.stat().st_size for paths in files.values() for p in paths)
        if session.options.scheduler is None and size < session.cfg.parallel.cluster_min_bytes:
            return zeeklogs.frames_of(files)  # too little to read to gain from a cluster
        names = [name for name, paths in files.items() if paths]
        client = session.dask.client
        with dask.config.set({"dataframe.convert-string": False}):  # Zeek sets and vectors stay lists
            logs = [log_frame(files[name], name) for name in names]
            partitions = [frame.to_delayed() for frame, _ in logs]  # one per file, in file order
            notes = [[delayed(skipped_note, pure=True)(part) for part in parts] for _, parts in logs]
            got = iter(client.gather(client.compute([*(p for of_log in partitions for p in of_log),
                                                     *(n for of_log in notes for n in of_log)])))
        got_parts = [[next(got) for _ in of_log] for of_log in partitions]
        out: dict[str, tuple[pd.DataFrame | None, list[str]]] = {name: (None, []) for name in files}
        for name, parts, of_log in zip(names, got_parts, notes):
            # concatenated as the serial read does (a rotated TSV and a JSON file of one log may type a column
            # differently: pandas unifies them; Dask's concatenation expects one type per column)
            out[name] = (zeeklogs.concat_frames(parts), [note for _ in of_log for note in next(got)])
        return out

    return read
