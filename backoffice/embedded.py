"""The embedded default: a real Postgres from the `pgserver` package for `make run`.

Used only when DATABASE_URL is not set. The server's data lives in `.data/pgdata`; it is left
running when the process exits (cleanup_mode=None) so the autoreloader's child, `manage.py`
commands and the web process all share one server, as they would share a real one.
"""

import warnings
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured


def database_url(base_dir: Path) -> str:
    # pgserver asks platformdirs for a runtime dir, which warns when XDG_RUNTIME_DIR is unset
    # (containers, CI) and falls back to /tmp: fine for us, so keep the console quiet.
    warnings.filterwarnings("ignore", message="XDG_RUNTIME_DIR is not set")
    try:
        import pgserver
    except ImportError as exc:
        raise ImproperlyConfigured(
            "Set DATABASE_URL=postgres://... (the embedded Postgres of `make run` comes with "
            "the development dependencies: pip install -r requirements/dev.txt)."
        ) from exc

    pgdata = base_dir / ".data" / "pgdata"
    pgdata.mkdir(parents=True, exist_ok=True)
    server = pgserver.get_server(pgdata, cleanup_mode=None)
    uri = server.get_uri()
    # pgserver hands out a socket URI for database "postgres"; keep ours in its own database.
    exists = server.psql("SELECT 1 FROM pg_database WHERE datname = 'backoffice';")
    if "1 row" not in exists:
        server.psql("CREATE DATABASE backoffice;")
    return uri.replace("/postgres?", "/backoffice?")
