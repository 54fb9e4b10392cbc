"""gunicorn's settings for `web: gunicorn "hotline:create_app()"` (read from the working folder).

The numbers fit the webhook deadline (hotline/deadline.py, SPEC §4.8): a call
gets its answer within 3 s whatever the database does, and no stuck request
can keep a worker, and with it /voice/fallback, from the next caller.
"""

import os

# Sync workers run each request on their main thread, where the deadline's timer works.
worker_class = "sync"
# Calls during a stuck database each hold a worker for up to the 2 s deadline: with
# four, three calls at once and /voice/fallback are all answered in parallel.
# WEB_CONCURRENCY (set by Heroku-style hosts) still wins.
workers = int(os.environ.get("WEB_CONCURRENCY", "4"))
# A worker silent for this long is killed and replaced: the last resort for a wait no
# timer can interrupt (a DNS look-up in C, say). It is above PostgreSQL's
# statement_timeout (10 s, hotline/db.py), so a slow page fails with an error page first.
timeout = 15
graceful_timeout = 15
# Twilio and most load balancers reuse connections; keep them open a little.
keepalive = 5


def on_starting(server: object) -> None:
    """Start with an empty metrics folder when the workers share one (hotline/metrics.py)."""
    import shutil

    directory = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if directory:
        shutil.rmtree(directory, ignore_errors=True)
        os.makedirs(directory, exist_ok=True)
