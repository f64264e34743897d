"""Spreadsheet files in and out, a row at a time: xlsx streamed by xlsx2csv, xls/xlsb/ods through calamine,
CSV in whatever encoding Chinese Excel saved it (GB18030/GBK, UTF-8 with or without a BOM), and xlsx (openpyxl
write-only) or CSV out.

An xlsx ledger can have any number of rows, so it is streamed: xlsx2csv (expat, row by row) runs in a child
process and this one reads its CSV from a pipe, so memory does not grow with the file and the parsing runs on
another core. calamine is several times faster but holds the whole sheet (about 0.9 KB a row: 91 MB for
100,000 rows), and python-calamine cannot stream; openpyxl's read-only mode streams but is 3-4 times slower than
xlsx2csv (bench/import_ledger.py measures all three in one run). calamine stays for the old formats: an xls sheet
holds at most 65,536 rows. Dates come through as Excel serial numbers (`-f float`), which `nlp.sheet` reads
exactly, time of day included.
"""

from __future__ import annotations

import codecs
import csv
import io
import subprocess
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from charset_normalizer import from_bytes

STREAMED = (".xlsx", ".xlsm")
WHOLE = (".xlsb", ".xls", ".ods")
SAMPLE = 64 * 1024  # bytes of a CSV looked at to tell its encoding


class FileProblem(Exception):
    """The file cannot be read as a ledger: the message says why, in English, for the operator."""


@dataclass
class Sheet:
    rows: Iterator[list[Any]]
    total: int | None  # rows, when the format says (for the progress bar)
    name: str = ""


def open_sheet(path: Path, sheet: str | None = None) -> Sheet:
    suffix = path.suffix.lower()
    if suffix == ".csv":
        if sheet:
            raise FileProblem("a CSV file has no sheets: drop --sheet")
        return Sheet(_csv_rows(path), None, path.name)
    if suffix in STREAMED:
        return Sheet(_streamed_rows(path, sheet), None, sheet or "")
    if suffix in WHOLE:
        return _spreadsheet(path, sheet)
    raise FileProblem(f"{path.name}: not a ledger file (xlsx, xls or csv)")


def _spreadsheet(path: Path, name: str | None) -> Sheet:
    from python_calamine import CalamineError

    try:
        book = _workbook(path, name)
        found = book.get_sheet_by_name(name) if name is not None else book.get_sheet_by_index(0)
    except CalamineError as exc:
        raise FileProblem(f"{path.name} cannot be read: {exc}") from exc
    return Sheet((list(row) for row in found.iter_rows()), found.height, found.name)


def _workbook(path: Path, name: str | None) -> Any:
    """The calamine workbook at `path`, which has the sheet `name` (when one is asked for)."""
    from python_calamine import CalamineWorkbook

    book = CalamineWorkbook.from_path(str(path))
    if name is not None and name not in book.sheet_names:
        raise FileProblem(f"{path.name} has no sheet {name!r}; its sheets: {', '.join(book.sheet_names)}")
    return book


def _streamed_rows(path: Path, name: str | None) -> Iterator[list[Any]]:
    """The rows of an xlsx sheet (the first, or `name`), as xlsx2csv streams them from a child process."""
    from python_calamine import CalamineError

    try:
        _workbook(path, name).close()  # a missing sheet or a file that is no xlsx is told before any row
    except CalamineError as exc:
        raise FileProblem(f"{path.name} cannot be read: {exc}") from exc
    which = ["-n", name] if name is not None else ["-s", "1"]
    command = [sys.executable, "-m", "xlsx2csv", "-f", "float", "-c", "utf-8", "--include-hidden-rows", *which]
    child = subprocess.Popen([*command, str(path)], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert child.stdout is not None and child.stderr is not None
    try:
        yield from csv.reader(io.TextIOWrapper(child.stdout, encoding="utf-8", newline=""))
        problem = child.stderr.read().decode("utf-8", "replace").strip()
        if child.wait() != 0:
            raise FileProblem(f"{path.name} cannot be read: {problem.splitlines()[-1] if problem else 'no reason'}")
    finally:
        if child.poll() is None:  # the rows were not all wanted (a bad header row, an error while importing)
            child.kill()
            child.wait()
        child.stdout.close()
        child.stderr.close()


def csv_encoding(sample: bytes) -> str:
    """The encoding of a CSV file's first bytes: UTF-8 (BOM or not) if it decodes so, else the best guess,
    GB18030 for any of the GB family (it is a superset of GBK and GB2312)."""
    if sample.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    try:
        sample.decode("utf-8")
        return "utf-8"
    except UnicodeDecodeError as exc:
        if exc.start >= len(sample) - 3:  # a character cut at the end of the sample
            return "utf-8"
    best = from_bytes(sample).best()
    if best is None:
        raise FileProblem("the CSV file is not text in any encoding tried")
    return "gb18030" if best.encoding.lower() in ("gb2312", "gbk", "gb18030", "cp936") else best.encoding


def _csv_rows(path: Path) -> Iterator[list[Any]]:
    with path.open("rb") as raw:
        encoding = csv_encoding(raw.read(SAMPLE))
    with path.open(encoding=encoding, newline="") as fh:
        sample = fh.read(SAMPLE)
        fh.seek(0)
        try:
            dialect: Any = csv.Sniffer().sniff(sample, delimiters=",\t;")
        except csv.Error:
            dialect = csv.excel
        try:
            yield from csv.reader(fh, dialect)
        except UnicodeDecodeError as exc:
            raise FileProblem(f"{path.name} is not all {encoding}: {exc}") from exc


def write_rows(path: Path, sheets: Iterable[tuple[str, list[str], Iterable[list[Any]]]]) -> None:
    """Write (sheet name, headers, rows) as xlsx (one sheet each, streamed) or, for a .csv path, the first one
    as UTF-8 with a BOM (Excel then opens it as Chinese text)."""
    if path.suffix.lower() == ".csv":
        _name, headers, rows = next(iter(sheets))
        with path.open("w", encoding="utf-8-sig", newline="") as fh:
            out = csv.writer(fh)
            out.writerow(headers)
            out.writerows(rows)
        return
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    for name, headers, rows in sheets:
        sheet = book.create_sheet(name)
        sheet.append(headers)
        for row in rows:
            sheet.append(row)
    book.save(str(path))
