"""Profile each webhook request under gunicorn (bench/load.py --profile)."""

from __future__ import annotations

import atexit
import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from load_workload import SMS, VOICE

# --- profiling (served by gunicorn as `load_profiling:profiled_app()`) ---------------


def profiled_app() -> Any:
    """Return the hotline app wrapped to profile each webhook request (see --profile)."""
    from pyinstrument import Profiler
    from sqlalchemy import event

    from hotline import create_app, db

    out_dir = Path(os.environ["BENCH_PROFILE_DIR"])
    app = create_app()
    engine = db.database(app).engine
    counts: dict[str, dict[str, int]] = {}
    sessions: dict[str, list[Any]] = {}
    current: dict[str, str | None] = {"path": None}

    def count(kind: str) -> Callable[..., None]:
        def listener(*args: Any, **kwargs: Any) -> None:
            path = current["path"]
            if path is not None:
                counts[path][kind] += 1

        return listener

    event.listen(engine, "before_cursor_execute", count("statements"))
    event.listen(engine, "commit", count("commits"))
    event.listen(engine, "checkout", count("checkouts"))
    inner = app.wsgi_app

    def wsgi(environ: dict[str, Any], start_response: Any) -> Any:
        path = environ.get("PATH_INFO", "")
        if path not in (VOICE, SMS):
            return inner(environ, start_response)
        current["path"] = path
        counts.setdefault(path, {"requests": 0, "statements": 0, "commits": 0, "checkouts": 0})
        counts[path]["requests"] += 1
        profiler = Profiler(interval=0.0005)
        profiler.start()
        try:
            # Read the whole answer inside the profile: the view runs during the call.
            return [b"".join(inner(environ, start_response))]
        finally:
            sessions.setdefault(path, []).append(profiler.stop())
            current["path"] = None

    def dump() -> None:
        pid = os.getpid()
        for path, parts in sessions.items():
            combined = combine_sessions(parts)
            combined.save(str(out_dir / f"{path.strip('/').replace('/', '-')}.{pid}.pstat.json"))
        (out_dir / f"counts.{pid}.json").write_text(json.dumps(counts))

    atexit.register(dump)
    app.wsgi_app = wsgi  # type: ignore[method-assign]
    return app


def combine_sessions(parts: list[Any]) -> Any:
    """Combine pyinstrument sessions pairwise (balanced: a linear fold copies quadratically)."""
    from pyinstrument.session import Session

    while len(parts) > 1:
        parts = [
            Session.combine(parts[i], parts[i + 1]) if i + 1 < len(parts) else parts[i]
            for i in range(0, len(parts), 2)
        ]
    return parts[0]


def report_profiles(out_dir: Path, label: str) -> None:
    """Combine the workers' profiles per webhook into text files; print per-request figures."""
    from pyinstrument.renderers import ConsoleRenderer
    from pyinstrument.session import Session

    totals: dict[str, dict[str, int]] = {}
    for path in sorted(out_dir.glob("counts.*.json")):
        for route, numbers in json.loads(path.read_text()).items():
            total = totals.setdefault(route, dict.fromkeys(numbers, 0))
            for key, value in numbers.items():
                total[key] += value
        path.unlink()
    for route in (VOICE, SMS):
        stem = route.strip("/").replace("/", "-")
        files = sorted(out_dir.glob(f"{stem}.*.pstat.json"))
        total = totals.get(route, {})
        if not files or not total:
            continue
        session = combine_sessions([Session.load(str(f)) for f in files])
        for f in files:
            f.unlink()
        n = max(total["requests"], 1)
        figures = (
            f"{label} {route}: {total['requests']} profiled requests; per request "
            f"{session.duration / n * 1000:.2f} ms wall, {session.cpu_time / n * 1000:.2f} ms CPU, "
            f"{total['statements'] / n:.1f} SQL statements, {total['commits'] / n:.1f} commits, "
            f"{total['checkouts'] / n:.1f} pool checkouts"
        )
        tree = ConsoleRenderer(unicode=True, color=False)
        flat = ConsoleRenderer(unicode=True, color=False, flat=True, flat_time="self")
        out = out_dir / f"{label}-{stem}.txt"
        out.write_text(
            figures
            + "\n\nCall tree (seconds, all profiled requests):\n"
            + tree.render(session)
            + "\nSelf time by function:\n"
            + flat.render(session)
        )
        print(f"  {figures}\n  profile: {out}", flush=True)
