"""One report table as text: the page shows its cells and the CSV export writes them."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")  # a spreadsheet would run such a cell


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
