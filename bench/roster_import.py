"""Time a roster import of a large agency on SQLite and PostgreSQL.

Run: python bench/roster_import.py [--officers 10000] [--database sqlite|postgresql|both]
Target: a 10,000-officer roster imports well within gunicorn's 15 s worker
timeout (the web import runs inside one request), every officer audited.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from load_servers import scratch_database

from hotline import create_app
from hotline.audit import Actor
from hotline.db import session_scope
from hotline.migrations import upgrade
from hotline.services.roster_import import import_officers


def roster(officers: int) -> str:
    """Return a roster file of `officers` rows with distinct badges and phones."""
    rows = (f"Officer {n},{100000 + n},SPD,+1206{2000000 + n:07d}\n" for n in range(officers))
    return "name,badge,agency,phone\n" + "".join(rows)


def time_import(url: str, text: str) -> tuple[float, int]:
    """Import `text` into a fresh database at `url`; return seconds and officers added."""
    upgrade(url)
    app = create_app({"DATABASE_URL": url, "SECRET_KEY": "bench", "HOTLINE_ENV": "development"})
    with session_scope(app) as session:
        started = time.perf_counter()
        report = import_officers(session, text, "US", Actor(None, "cli"), datetime.now(UTC))
        session.commit()
        return time.perf_counter() - started, report.imported


def main() -> None:
    """Import one roster per database and print how long each took."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--officers", type=int, default=10_000)
    parser.add_argument("--database", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--postgres-url", default="postgresql://postgres@127.0.0.1:5432/postgres")
    args = parser.parse_args()
    os.environ.setdefault("HOTLINE_ENV", "development")
    text = roster(args.officers)
    kinds = ("sqlite", "postgresql") if args.database == "both" else (args.database,)
    with tempfile.TemporaryDirectory() as work_dir:
        for kind in kinds:
            with scratch_database(kind, Path(work_dir), args.postgres_url) as url:
                seconds, added = time_import(url, text)
            print(f"{kind:10} {added:,} officers imported in {seconds:.2f} s")


if __name__ == "__main__":
    main()
