"""A CSV file read as rows from any byte: UTF-8 (a byte order mark is skipped), `,` or `;` between cells (the
header row says which: the one it holds more of outside quotes), quoted cells may hold line breaks.

A row ends at a line break outside quotes: after a line whose quotes, with the lines before it in the row, are even
in number. So a row's end is known from its bytes alone, and a reader can go on from the byte after any row (the
import's position) without reading the file again from its start.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator
from typing import NamedTuple

BOM = b"\xef\xbb\xbf"
DELIMITERS = (",", ";")


class Row(NamedTuple):
    """Row `number` of the file (the header is 1), its cells (None: not UTF-8 or not CSV), and the byte after it."""

    number: int
    cells: list[str] | None
    end: int


class Header(NamedTuple):
    names: list[str]
    delimiter: str
    end: int


class NotCsv(ValueError):
    """The file's first row cannot be read as a CSV header."""


def _records(chunks: Iterable[bytes], offset: int) -> Iterator[tuple[bytes, int]]:
    """Each row's bytes, from `offset`, and the byte after it."""
    buffer, pending, quotes = b"", b"", 0
    for chunk in chunks:
        buffer += chunk
        start = 0
        while (found := buffer.find(b"\n", start)) >= 0:
            line = buffer[start : found + 1]
            start = found + 1
            pending += line
            quotes += line.count(b'"')
            if quotes % 2 == 0:
                offset += len(pending)
                yield pending, offset
                pending, quotes = b"", 0
        buffer = buffer[start:]
    pending += buffer
    if pending:
        yield pending, offset + len(pending)


def _cells(raw: bytes, delimiter: str) -> list[str] | None:
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        return None
    try:
        parsed = list(csv.reader([text.rstrip("\r\n")], delimiter=delimiter, strict=True))
    except csv.Error:
        return None
    return parsed[0] if parsed else []


def header(chunks: Iterable[bytes]) -> Header:
    """The file's first row: its names (trimmed), its delimiter and the byte after it."""
    for raw, end in _records(chunks, 0):
        text = raw.removeprefix(BOM)
        outside = text.decode("utf-8", errors="replace").split('"')[::2]
        delimiter = max(DELIMITERS, key=lambda each: sum(part.count(each) for part in outside))
        cells = _cells(text, delimiter)
        if not cells or not any(name.strip() for name in cells):
            raise NotCsv("The file's first row must name its columns.")
        names = [name.strip() for name in cells]
        repeated = sorted({name for name in names if name and names.count(name) > 1})
        if repeated:
            raise NotCsv(f"The header names {', '.join(repeated)} more than once.")
        return Header(names, delimiter, end)
    raise NotCsv("The file is empty.")


def rows(chunks: Iterable[bytes], offset: int, number: int, delimiter: str) -> Iterator[Row]:
    """The rows from `offset`, where row `number + 1` begins; empty lines are passed over (and counted)."""
    for raw, end in _records(chunks, offset):
        number += 1
        if raw.strip(b"\r\n"):
            yield Row(number, _cells(raw, delimiter), end)
