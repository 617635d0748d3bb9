"""How far a long hash run is: a bar on a terminal, a line every 10 s in a log (CI, a batch
job's output). Shared by `drift scan`, `verify` and `fingerprint`."""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from dataward.drift.hasher import Progress


def reporter() -> Progress | None:
    """A rich progress bar on a terminal; plain lines every 10 s otherwise (CI logs)."""
    import time

    from dataward.drift.hasher import Progress
    from dataward.report.catalog_text import size

    if sys.stderr.isatty():
        try:
            from rich.progress import (
                BarColumn,
                DownloadColumn,
                TextColumn,
                TimeRemainingColumn,
                TransferSpeedColumn,
            )
            from rich.progress import (
                Progress as Bar,
            )
        except ImportError:
            pass
        else:
            from rich.console import Console

            bar = Bar(TextColumn("hashing"), BarColumn(), DownloadColumn(),
                      TextColumn("{task.fields[files]:,} of {task.fields[nfiles]:,} files"),
                      TransferSpeedColumn(), TimeRemainingColumn(), transient=True,
                      console=Console(stderr=True))
            task = bar.add_task("hash", total=0, files=0, nfiles=0)

            def start(total: int, nfiles: int) -> None:
                bar.start()
                bar.update(task, total=total, nfiles=nfiles)

            return Progress(start, lambda b, f: bar.update(task, completed=b, files=f),
                            bar.stop)
    return Progress(*log_lines(time.monotonic, size))


def log_lines(clock: Callable[[], float], size: Callable[[int], str]
                    ) -> tuple[Callable[[int, int], None], Callable[[int, int], None],
                               Callable[[], None]]:
    """Progress for logs (CI, a batch job's output): a line every 10 s with files, bytes,
    rate and time left; nothing for a scan that takes less."""
    totals = [0, 0]
    last = [clock()]
    base: list[tuple[int, float]] = []  # the first report: files the state answered at once

    def begin(total: int, nfiles: int) -> None:
        totals[:] = [total, nfiles]
        last[0] = clock()
        base.clear()

    def advance(done: int, files: int) -> None:
        now = clock()
        if not base:
            base.append((done, now))
        if now - last[0] < PROGRESS_EVERY_S:
            return
        last[0] = now
        rate = (done - base[0][0]) / max(now - base[0][1], 1e-9)  # of what is read
        left = (f", about {duration((totals[0] - done) / rate)} left" if rate > 0
                and totals[0] >= done else "")
        print(f"hashing: {files:,} of {totals[1]:,} files, {size(done)} of "
              f"{size(totals[0])}, {size(int(rate))}/s{left}", file=sys.stderr, flush=True)

    return begin, advance, lambda: None


PROGRESS_EVERY_S = 10.0


def duration(seconds: float) -> str:
    s = int(seconds + 0.5)
    return f"{s // 3600} h {s // 60 % 60:02d} min" if s >= 3600 else (
        f"{s // 60} min {s % 60:02d} s" if s >= 60 else f"{s} s")
