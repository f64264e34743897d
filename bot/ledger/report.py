"""The import report file (`--report OUT.xlsx`): skipped rows with their reasons, merged rows, possible
duplicates, unknown columns and notices, each on its sheet, in Chinese for the operators and managers who read
it. A .csv path gets the skipped rows alone (one sheet is all a CSV holds)."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

from bot import texts
from bot.ledger.files import write_rows
from bot.ledger.importing import ImportReport


def _sheets(report: ImportReport) -> Iterable[tuple[str, list[str], Iterable[list[Any]]]]:
    def sheet(kind: str, rows: Iterable[list[Any]]) -> tuple[str, list[str], Iterable[list[Any]]]:
        name, headers = texts.IMPORT_SHEETS[kind]
        return name, list(headers), rows

    yield sheet(
        "skipped",
        (
            [number, "；".join(texts.import_reason(f.problem, f.column, f.value) for f in flaws), _written(cells)]
            for number, flaws, cells in report.skipped
        ),
    )
    yield sheet(
        "merged",
        ([number, texts.import_lead_ref(lead), company, filled] for number, lead, company, filled in report.merged),
    )
    yield sheet(
        "possible",
        (
            [number, texts.import_lead_ref(lead), company, "、".join(texts.import_lead_ref(i) for i in choices)]
            for number, lead, company, choices in report.possible
        ),
    )
    unknown = report.columns.unknown if report.columns else ()
    yield sheet("columns", ([header, texts.IMPORT_UNKNOWN_COLUMN] for header in unknown))
    yield sheet("notices", ([number, notice] for number, notice in report.notices))


def _written(cells: list[Any]) -> str:
    return " | ".join("" if c is None else str(c) for c in cells)


def write_report(report: ImportReport, path: Path) -> None:
    write_rows(path, _sheets(report))
