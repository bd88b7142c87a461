#!/bin/sh
# Entry point of every container built from the image (web, worker, beat).
# 1. Wait until the database accepts connections (the db service may still be starting).
# 2. With RUN_MIGRATIONS=1 (the web service only, so two containers never migrate at once): apply migrations and
#    load the region registry and the documented programs; both are idempotent.
# 3. Replace this shell with the container's command, so it receives the signals.
set -eu

python - <<'PY'
import os
import sys
import time

import django
from django.db import connection
from django.db.utils import OperationalError

django.setup()

timeout = float(os.environ.get("DB_WAIT_TIMEOUT", "60"))
deadline = time.monotonic() + timeout
while True:
    try:
        connection.ensure_connection()
        break
    except OperationalError as exc:
        if time.monotonic() >= deadline:
            sys.exit(f"entrypoint: the database is not reachable after {timeout:g}s: {exc}")
        print("entrypoint: waiting for the database…", file=sys.stderr, flush=True)
        time.sleep(1)
connection.close()
PY

if [ "${RUN_MIGRATIONS:-0}" = "1" ]; then
    python manage.py migrate --noinput
    python manage.py load_reference
fi

exec "$@"
