"""Reading an import file (.csv or .xlsx) into lines of text cells, within limits.

This layer knows nothing of what the columns mean: ``stats.importers`` validates the rows and ``stats.services``
writes them, so another file layout (the statistics bureau's wide tables) needs another reader of lines only.

A file comes from whoever may upload one, so nothing in it is trusted: its size is checked before a byte is read;
an .xlsx's parts are checked for their unzipped size before it is opened, and its sheet's declared dimension is
ignored (a 5 KB workbook declaring ``A1:XFD1048576`` would otherwise be padded out to 17 billion cells); rows and
columns are counted as the file is streamed, and the first line past a limit stops the reading with a problem that
names the limit. CSV is decoded as a stream, never held whole in memory.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import io
import os
import zipfile
from collections.abc import Callable, Iterator
from contextlib import closing
from dataclasses import dataclass, field
from pathlib import PurePath
from typing import BinaryIO

from django.conf import settings
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

# Calls back with the share of the file read so far (0 to 1), every PROGRESS_EVERY lines.
Progress = Callable[[float], None]
PROGRESS_EVERY = 1000
CHUNK = 1 << 16


@dataclass(frozen=True)
class Problem:
    line: int
    message: str

    def __str__(self) -> str:
        return _("line %(line)s: %(message)s") % {"line": self.line, "message": self.message}


class FileRejected(Exception):
    """The file has problems; nothing was imported."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        super().__init__("\n".join(str(problem) for problem in problems))


def _reject(line: int, message: str) -> FileRejected:
    return FileRejected([Problem(line, message)])


@dataclass(frozen=True)
class Limits:
    """The most an import may hold. Read from settings (``IMPORT_MAX_*``) unless given."""

    max_bytes: int
    max_rows: int
    max_columns: int
    max_unzipped_bytes: int

    @classmethod
    def from_settings(cls) -> Limits:
        return cls(
            max_bytes=settings.IMPORT_MAX_BYTES,
            max_rows=settings.IMPORT_MAX_ROWS,
            max_columns=settings.IMPORT_MAX_COLUMNS,
            max_unzipped_bytes=settings.IMPORT_MAX_UNZIPPED_BYTES,
        )


def size_text(size: int) -> str:
    """A byte count for people: whole MB from 1 MB, bytes below."""
    if size >= 1_000_000 and size % 1_000_000 == 0:
        return _("%(n)d MB") % {"n": size // 1_000_000}
    return ngettext("%(n)d byte", "%(n)d bytes", size) % {"n": size}


@dataclass
class Table:
    header: list[str]
    rows: list[tuple[int, dict[str, str]]] = field(default_factory=list)


def stream_size(stream: BinaryIO) -> int:
    """The bytes left in ``stream`` from where it stands, without reading them."""
    start = stream.tell()
    end = stream.seek(0, os.SEEK_END)
    stream.seek(start)
    return end - start


def check_file(filename: str, size: int, limits: Limits) -> str:
    """The file's suffix (``.csv`` or ``.xlsx``) if a file of that name and size may be imported at all, before any
    of it is read; ``FileRejected`` on line 1 otherwise."""
    suffix = PurePath(filename).suffix.lower()
    if suffix not in (".csv", ".xlsx"):
        raise _reject(1, _("only .csv and .xlsx files can be imported"))
    if size > limits.max_bytes:
        raise _reject(
            1,
            _("the file is %(size)s; an import may be at most %(limit)s")
            % {"size": size_text(size), "limit": size_text(limits.max_bytes)},
        )
    return suffix


def read_lines(
    stream: BinaryIO, filename: str, *, limits: Limits | None = None, progress: Progress | None = None
) -> Iterator[tuple[int, list[str]]]:
    """Every line of the file (the header is line 1) as a list of stripped text cells, the trailing empty cells of a
    line dropped. Raises ``FileRejected`` at the first thing beyond ``limits`` (settings by default)."""
    limits = limits or Limits.from_settings()
    size = stream_size(stream)
    suffix = check_file(filename, size, limits)
    lines = _xlsx_lines(stream, limits, progress) if suffix == ".xlsx" else _csv_lines(stream, size, limits, progress)
    with closing(lines):
        yield from _bounded(lines, limits)


def _bounded(lines: Iterator[tuple[int, list[str]]], limits: Limits) -> Iterator[tuple[int, list[str]]]:
    for number, cells in lines:
        if number > limits.max_rows + 1:
            raise _reject(
                number,
                ngettext(
                    "an import may have at most %(limit)d row below the header",
                    "an import may have at most %(limit)d rows below the header",
                    limits.max_rows,
                )
                % {"limit": limits.max_rows},
            )
        while cells and not cells[-1]:
            cells.pop()
        if len(cells) > limits.max_columns:
            raise _reject(number, _column_message(len(cells), limits.max_columns))
        yield number, cells


def _column_message(column: int, limit: int) -> str:
    from openpyxl.utils import get_column_letter

    return ngettext(
        "a cell in column %(column)s is beyond the limit of %(limit)d column",
        "a cell in column %(column)s is beyond the limit of %(limit)d columns",
        limit,
    ) % {"column": get_column_letter(min(column, 18278)), "limit": limit}


def read_table(
    stream: BinaryIO, filename: str, *, limits: Limits | None = None, progress: Progress | None = None
) -> Table:
    """The lines of a file as dictionaries keyed by the lower-cased header; blank lines are skipped (and counted)."""
    lines = read_lines(stream, filename, limits=limits, progress=progress)
    first = next(lines, None)
    if first is None:
        raise _reject(1, _("the file is empty"))
    header = [name.strip().lower() for name in first[1]]
    table = Table(header=header)
    width = len(header)
    for number, cells in lines:
        if not any(cells):
            continue
        cells = cells + [""] * (width - len(cells))
        table.rows.append((number, dict(zip(header, cells, strict=False))))
    return table


# --- CSV --------------------------------------------------------------------------------------------------------------


def _csv_encoding(stream: BinaryIO) -> str:
    """UTF-8 (with or without BOM) or GB18030, as Excel saves CSV in China: the whole file is decoded once, a chunk
    at a time, to choose."""
    start = stream.tell()
    for name, encoding in (("utf-8", "utf-8-sig"), ("gb18030", "gb18030")):
        decoder = codecs.getincrementaldecoder(name)()
        try:
            while chunk := stream.read(CHUNK):
                decoder.decode(chunk)
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            continue
        finally:
            stream.seek(start)
        return encoding
    raise _reject(1, _("the file is neither UTF-8 nor GB18030 text"))


def _csv_lines(
    stream: BinaryIO, size: int, limits: Limits, progress: Progress | None
) -> Iterator[tuple[int, list[str]]]:
    start = stream.tell()
    text = io.TextIOWrapper(stream, encoding=_csv_encoding(stream), newline="")
    number = 0
    try:
        reader = csv.reader(text)
        while True:
            try:
                row = next(reader)
            except StopIteration:
                break
            except csv.Error as exc:
                raise _reject(number + 1, _("not a readable CSV line (%(error)s)") % {"error": exc}) from exc
            number += 1
            if progress and number % PROGRESS_EVERY == 0 and size:
                progress(min((stream.tell() - start) / size, 1.0))
            yield number, [cell.strip() for cell in row]
    finally:
        # The caller's stream stays open: closing the wrapper would close it.
        text.detach()


# --- XLSX -------------------------------------------------------------------------------------------------------------


def _check_parts(stream: BinaryIO, limits: Limits) -> None:
    """Refuse a workbook whose parts unzip beyond the limit. The sizes are those its directory declares; Python's
    zipfile never returns more than the declared size of a part, so a lying directory cannot get past it."""
    start = stream.tell()
    try:
        with zipfile.ZipFile(stream) as archive:
            unzipped = sum(info.file_size for info in archive.infolist())
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise _reject(1, _("not a readable .xlsx file (%(error)s)") % {"error": exc}) from exc
    finally:
        stream.seek(start)
    if unzipped > limits.max_unzipped_bytes:
        raise _reject(
            1,
            _("the workbook unzips to %(size)s; an import may unzip to at most %(limit)s")
            % {"size": size_text(unzipped), "limit": size_text(limits.max_unzipped_bytes)},
        )


def _cell_text(value) -> str:
    """An .xlsx cell as text. Adcodes typed as numbers (370405 or 370405.0) come back as '370405'."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value).strip()


def _xlsx_lines(stream: BinaryIO, limits: Limits, progress: Progress | None) -> Iterator[tuple[int, list[str]]]:
    from openpyxl import load_workbook

    _check_parts(stream, limits)
    try:
        workbook = load_workbook(stream, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises several types for a damaged file
        raise _reject(1, _("not a readable .xlsx file (%(error)s)") % {"error": exc}) from exc
    try:
        sheet = workbook.worksheets[0]
        # The declared dimension is a claim of the file: used for the progress estimate only, never to size rows.
        declared = sheet.max_row if isinstance(sheet.max_row, int) and sheet.max_row > 0 else 0
        sheet.reset_dimensions()
        # Without a dimension, openpyxl yields each row as wide as its last cell and an empty tuple for each row
        # missing from the file, so neither can grow past the first line the limits refuse.
        rows = sheet.iter_rows(values_only=True)
        number = 0
        while True:
            try:
                values = next(rows)
            except StopIteration:
                break
            except FileRejected:
                raise
            except Exception as exc:
                raise _reject(number + 1, _("not a readable .xlsx file (%(error)s)") % {"error": exc}) from exc
            number += 1
            if progress and number % PROGRESS_EVERY == 0 and declared:
                progress(min(number / declared, 1.0))
            if len(values) > limits.max_columns:
                beyond = [i for i, value in enumerate(values) if value is not None and i >= limits.max_columns]
                if beyond:
                    raise _reject(number, _column_message(beyond[-1] + 1, limits.max_columns))
                values = values[: limits.max_columns]
            yield number, [_cell_text(value) for value in values]
    finally:
        workbook.close()
