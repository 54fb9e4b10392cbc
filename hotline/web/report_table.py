"""One report table as text: the page shows its cells and the CSV export writes them."""

from __future__ import annotations

import csv
import io
import math
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from ..i18n import N_
from .language import web_text

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")  # a spreadsheet would run such a cell
# Not "<5": a count hidden so that a small one cannot be worked out may be 5 or more.
SUPPRESSED = N_("hidden")


@dataclass(frozen=True)
class Table:
    """One report table as text: the page shows these cells and the CSV export writes them."""

    title: str
    columns: list[str]
    rows: list[list[str]]

    def csv(self) -> str:
        """Return the table as CSV text that a spreadsheet opens as UTF-8 and runs nothing of."""
        buffer = io.StringIO()
        # The byte-order mark tells Excel the file is UTF-8 (else it reads Peña as PeÃ±a);
        # other CSV readers take it as the encoding's mark too.
        buffer.write("\ufeff")
        writer = csv.writer(buffer)
        writer.writerow(self.columns)
        for row in self.rows:
            writer.writerow(
                ["'" + cell if cell.startswith(FORMULA_STARTS) else cell for cell in row]
            )
        return buffer.getvalue()


def duration(seconds: float | None) -> str:
    """Format seconds as H:MM:SS, rounded to the second ("" without data)."""
    if seconds is None:
        return ""
    hours, rest = divmod(math.floor(abs(seconds) + 0.5), 3600)
    return f"{'-' if seconds < 0 else ''}{hours}:{rest // 60:02d}:{rest % 60:02d}"


def shown(count: int | None) -> str:
    """Return a count, or the suppression mark for a hidden one."""
    return str(web_text(SUPPRESSED)) if count is None else str(count)


def percent(share: float | None) -> str:
    """Format a share as a percentage with one decimal, halves up ("" without data)."""
    if share is None:
        return ""
    # repr is the float's shortest decimal (5/16 is 0.3125): rounded half to even, as
    # format() does, 31.25% read 31.2% where a calculator or a spreadsheet says 31.3%.
    exact = Decimal(repr(share)) * 100
    return f"{exact.quantize(Decimal('0.1'), rounding=ROUND_HALF_UP)}%"
