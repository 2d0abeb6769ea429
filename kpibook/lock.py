"""One writer at a time for an output (``kpibook merge``): a lock file beside it.

The lock is created exclusively (O_CREAT | O_EXCL), so a second coordinator (or a second
window) starting the same merge is refused with who holds it and since when, instead of
two runs racing to replace the same master.

* A lock whose process is gone (same machine, pid not running) is *stale*: it is
  reported as such, with its pid, and ``--break-lock`` removes it.  ``--break-lock``
  never removes the lock of a run that is still alive on this machine; a lock taken on
  another machine (a shared folder) cannot be tested, and is broken only when asked.
* A run removes only its own lock (each lock carries a token), also when stopped with
  Ctrl-C or SIGTERM.
* Temporary files a killed run left beside the target are removed by the next run,
  under the lock, so never while another run writes them.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import secrets
import signal
import socket
import threading
from collections.abc import Iterator
from pathlib import Path
from types import FrameType
from typing import Any

from kpibook.atomic import OutputError, stale_temporaries
from kpibook.errors import KpibookError
from kpibook.message import Message


class Locked(KpibookError):
    exit_code = 1


def lock_path(target: Path) -> Path:
    return target.with_name(f".{target.name}.kpibook-lock")


def _holder(path: Path) -> dict[str, Any] | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def pid_alive(pid: int) -> bool:
    """Whether process ``pid`` runs on this machine (never signals it: on Windows
    os.kill would terminate it)."""
    if pid <= 0:
        return False
    if os.name == "nt":  # pragma: no cover - exercised on Windows
        import ctypes

        kernel32 = ctypes.windll.kernel32  # type: ignore[attr-defined]
        handle = kernel32.OpenProcess(0x1000, False, pid)  # PROCESS_QUERY_LIMITED_INFORMATION
        if not handle:
            return bool(kernel32.GetLastError() == 5)  # access denied: it exists
        code = ctypes.c_ulong()
        kernel32.GetExitCodeProcess(handle, ctypes.byref(code))
        kernel32.CloseHandle(handle)
        return code.value == 259  # STILL_ACTIVE
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _state(holder: dict[str, Any] | None) -> tuple[str, bool | None]:
    """Who holds a lock, as text, and whether that run is alive (None: cannot tell)."""
    if holder is None:
        return "unknown", None
    who = f"{holder.get('host')} pid {holder.get('pid')} since {holder.get('since')}"
    pid = holder.get("pid")
    if holder.get("host") != socket.gethostname() or not isinstance(pid, int):
        return who, None
    return who, pid_alive(pid)


@contextlib.contextmanager
def exclusive(target: Path, break_lock: bool = False) -> Iterator[None]:
    """Hold the lock of ``target`` for the duration of the block."""
    target = Path(target)
    path = lock_path(target)
    if break_lock and path.exists():
        who, alive = _state(_holder(path))
        if alive:
            raise Locked(
                Message(
                    ja=f"別の kpibook が実行中のため、ロックは外しません（{who}）",
                    en=f"the run holding the lock is still alive ({who}); --break-lock does "
                    "not remove the lock of a running merge",
                ),
                where=target,
            )
        path.unlink(missing_ok=True)
    token = secrets.token_hex(8)
    holder = {
        "host": socket.gethostname(),
        "pid": os.getpid(),
        "since": dt.datetime.now().isoformat(timespec="seconds"),
        "token": token,
    }
    try:
        fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
    except FileExistsError:
        who, alive = _state(_holder(path))
        if alive is False:
            raise Locked(
                Message(
                    ja=f"前回の kpibook が異常終了したときのロックが残っています（{who}、"
                    "そのプロセスはもうありません）。--break-lock を付けて実行してください",
                    en=f"a stale lock of a run that ended without removing it ({who}, no "
                    "longer running); run again with --break-lock",
                ),
                where=target,
            ) from None
        raise Locked(
            Message(
                ja=f"別の kpibook が作成中です（{who}）。終わるのを待つか、異常終了した"
                "場合は --break-lock を付けて実行してください",
                en=f"another kpibook run is writing it ({who}); wait for it, or use "
                "--break-lock if that run crashed",
            ),
            where=target,
        ) from None
    except OSError as exc:  # a missing or read-only folder, a full disk
        raise OutputError(target, exc) from None
    try:
        with _terminate_as_exit():
            with os.fdopen(fd, "w", encoding="utf-8") as f:
                json.dump(holder, f)
            for leftover in stale_temporaries(target):
                leftover.unlink(missing_ok=True)
            yield
    finally:
        mine = _holder(path)
        if mine is not None and mine.get("token") == token:
            path.unlink(missing_ok=True)


@contextlib.contextmanager
def _terminate_as_exit() -> Iterator[None]:
    """SIGTERM ends the run through ``finally`` blocks (lock and temporaries removed),
    as Ctrl-C does; only the main thread may set a handler."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def stop(signum: int, frame: FrameType | None) -> None:
        raise SystemExit(128 + signum)

    previous = signal.signal(signal.SIGTERM, stop)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)
