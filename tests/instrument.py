"""Counted work: bounds on what reading a file costs that do not depend on the machine.

A hostile return must be refused cheaply, but a test that times it fails on a slow or busy
machine.  These record the work itself instead: which zip members were opened and how many
bytes were unpacked from them, what each XML parser was fed, and the peak of memory
allocated.  The same file costs the same on any machine.
"""

from __future__ import annotations

import tracemalloc
import zipfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, TypeVar
from unittest import mock
from xml.etree import ElementTree as ET

T = TypeVar("T")


@dataclass
class Work:
    """What was unpacked and parsed while ``counted()`` was active."""

    opened: list[str] = field(default_factory=list)
    """Zip members opened for reading, in order."""
    unpacked: int = 0
    """Bytes read out of zip members (after decompression)."""
    fed: list[bytes] = field(default_factory=list)
    """Each piece of XML handed to an ElementTree parser (``XMLParser.feed``)."""

    def pieces_over(self, size: int) -> list[int]:
        """The lengths of the pieces fed to a parser that were larger than ``size``."""
        return [len(piece) for piece in self.fed if len(piece) > size]


@contextmanager
def counted() -> Iterator[Work]:
    """Record the zip members opened, the bytes unpacked and the XML parsed, in this
    process, until the block ends.  openpyxl's parser (defusedxml's) is not seen."""
    work = Work()
    real_open = zipfile.ZipFile.open
    real_read = zipfile.ZipExtFile.read
    real_read1 = zipfile.ZipExtFile.read1

    def open_member(
        self: zipfile.ZipFile, name: str | zipfile.ZipInfo, mode: str = "r", *args: Any, **kw: Any
    ) -> IO[bytes]:
        if mode == "r":
            work.opened.append(name.filename if isinstance(name, zipfile.ZipInfo) else name)
        return real_open(self, name, mode, *args, **kw)  # type: ignore[arg-type]

    def read(self: zipfile.ZipExtFile, n: int | None = -1) -> bytes:
        data = real_read(self, n)
        work.unpacked += len(data)
        return data

    def read1(self: zipfile.ZipExtFile, n: int | None = -1) -> bytes:
        data = real_read1(self, n)
        work.unpacked += len(data)
        return data

    class Parser(ET.XMLParser):
        def feed(self, data: Any) -> None:
            work.fed.append(data.encode() if isinstance(data, str) else bytes(data))
            super().feed(data)

    with (
        mock.patch.object(zipfile.ZipFile, "open", open_member),
        mock.patch.object(zipfile.ZipExtFile, "read", read),
        mock.patch.object(zipfile.ZipExtFile, "read1", read1),
        mock.patch.object(ET, "XMLParser", Parser),
    ):
        yield work


def peak_memory(run: Callable[[], T]) -> tuple[T, int]:
    """``run()``'s result and the most memory (bytes) allocated at once while it ran."""
    tracemalloc.start()
    try:
        result = run()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return result, peak


def bytes_per_added_indicator(measure: Callable[[Path], tuple[int, int]], folder: Path) -> float:
    """What one more indicator adds to ``measure`` (bytes, indicators) of a synthetic
    plan's JSON file, between plans of 10 and 30 departments (1,200 more indicators);
    a plan of 2 measured first warms what is made once per process."""
    from benchmarks.synthetic import synthetic_plan
    from kpibook.plantext import save_json

    sizes = {}
    for departments in (2, 10, 30):
        path = folder / f"plan-{departments}.json"
        save_json(synthetic_plan(departments), path)
        sizes[departments] = measure(path)
    (small, n_small), (large, n_large) = sizes[10], sizes[30]
    assert n_large - n_small == 1200
    return (large - small) / (n_large - n_small)
