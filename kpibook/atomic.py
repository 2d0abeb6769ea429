"""Atomic file output: a reader sees the old file or the new one, never half of one.

Failures while writing become one clear error naming the file: a target held open by
another program (Windows refuses to replace it), a full disk, a folder without write
permission.  In every case the previous file is left as it was and no temporary file
is left behind.
"""

from __future__ import annotations

import contextlib
import errno
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

from kpibook.errors import KpibookError
from kpibook.message import Message


class OutputError(KpibookError):
    """An output file could not be written; the previous one is unchanged."""

    def __init__(self, target: Path, exc: OSError) -> None:
        self.target = target
        if isinstance(exc, PermissionError):
            ja = (
                "書き込めません。ほかのプログラム（Excel など）で開いていれば閉じて、"
                "もう一度実行してください"
            )
            en = "cannot write it; if it is open in another program (Excel), close it and retry"
        elif exc.errno == errno.ENOSPC:
            ja = "ディスクの空き容量が足りません"
            en = "the disk is full"
        else:
            ja = "書き込めません"
            en = f"cannot write it ({exc.strerror or exc})"
        super().__init__(
            Message(
                ja=f"{ja}（以前のファイルはそのままです）",
                en=f"{en} (the previous file, if any, is unchanged)",
            ),
            where=target,
        )


TEMP_SUFFIX = ".tmp"


def _temp_prefix(target: Path) -> str:
    return f".{target.name}."


def stale_temporaries(target: Path) -> list[Path]:
    """Temporary files of ``target`` left beside it by a run that was killed."""
    prefix = _temp_prefix(target)
    try:
        return [
            p
            for p in target.parent.iterdir()
            if p.name.startswith(prefix) and p.name.endswith(TEMP_SUFFIX)
        ]
    except OSError:
        return []


def ensure_folder(folder: Path) -> Path:
    """``folder``, created with its parents if missing; a path that cannot be a folder (a
    file is in the way, no permission, a full disk) is one clear error naming it."""
    folder = Path(folder)
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputError(folder, exc) from None
    return folder


def new_file_mode() -> int:
    """The permissions a new file gets from the user's umask (0644 under umask 022):
    forms go to shared folders, masters and exports are published, so a file kpibook
    writes must not be private to its writer as a temporary file is."""
    mask = os.umask(0)
    os.umask(mask)
    return 0o666 & ~mask


@contextlib.contextmanager
def atomic_path(target: Path) -> Iterator[Path]:
    """A temporary path beside ``target``; on success it is fsynced and moved over it.

    If the block fails, the temporary file is removed and ``target`` is left as it was.
    """
    target = Path(target)
    try:
        fd, tmp_name = tempfile.mkstemp(
            prefix=_temp_prefix(target), suffix=TEMP_SUFFIX, dir=target.parent
        )
    except OSError as exc:
        raise OutputError(target, exc) from None
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        yield tmp
        try:
            with open(tmp, "rb+") as f:
                os.fsync(f.fileno())
            os.chmod(tmp, new_file_mode())
            os.replace(tmp, target)
        except OSError as exc:
            raise OutputError(target, exc) from None
    except OSError as exc:  # writing the temporary file failed (a full disk)
        raise OutputError(target, exc) from None
    finally:
        tmp.unlink(missing_ok=True)


def write_bytes_atomic(target: Path, data: bytes) -> None:
    with atomic_path(target) as tmp:
        tmp.write_bytes(data)
