"""Rows as CSV for spreadsheets: a header from the columns, UTF-8 with a byte-order mark (so a
spreadsheet opens Persian names as Persian), and no cell a spreadsheet would run as a formula."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence

from gateway.store import Row

_FORMULA = ("=", "+", "-", "@", "\t", "\r")


def _cell(value: object) -> object:
    if value is None:
        return ""
    if isinstance(value, str) and value.startswith(_FORMULA):
        return "'" + value  # a node or service name is text, never a formula
    return value


def to_csv(columns: Sequence[str], rows: Sequence[Row]) -> str:
    """The rows' `columns`, in order, under a header naming them."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow([_cell(row[c]) for c in columns])
    return "\ufeff" + out.getvalue()
