"""One writer at a time for an output (``kpibook merge``): a lock file beside it.

The lock is created exclusively (O_CREAT | O_EXCL), so a second coordinator (or a second
window) starting the same merge is refused with who holds it and since when, instead of
two runs racing to replace the same master.  A lock left by a crashed run is removed
with ``--break-lock``.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import socket
from collections.abc import Iterator
from pathlib import Path

from kpibook.errors import KpibookError
from kpibook.message import Message


class Locked(KpibookError):
    exit_code = 1


def lock_path(target: Path) -> Path:
    return target.with_name(f".{target.name}.kpibook-lock")


@contextlib.contextmanager
def exclusive(target: Path, break_lock: bool = False) -> Iterator[None]:
    """Hold the lock of ``target`` for the duration of the block."""
    path = lock_path(Path(target))
    if break_lock:
        path.unlink(missing_ok=True)
    holder = {
        "host": socket.gethostname(),
        "pid": os.getpid(),
        "since": dt.datetime.now().isoformat(timespec="seconds"),
    }
    try:
        fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
    except FileExistsError:
        try:
            other = json.loads(path.read_text(encoding="utf-8"))
            who = f"{other.get('host')} pid {other.get('pid')} since {other.get('since')}"
        except (OSError, ValueError):
            who = "unknown"
        raise Locked(
            Message(
                ja=f"別の kpibook が作成中です（{who}）。終わるのを待つか、異常終了した"
                "場合は --break-lock を付けて実行してください",
                en=f"another kpibook run is writing it ({who}); wait for it, or use "
                "--break-lock if that run crashed",
            ),
            where=target,
        ) from None
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump(holder, f)
        yield
    finally:
        path.unlink(missing_ok=True)
