"""`make run` has the web process and the Celery worker write one SQLite file at once: with the
settings' options neither gets "database is locked" and no read-then-write loses an update."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
ROUNDS = 150

# Read, then write, in one transaction: what a service does when it holds a row (SQLite has no
# SELECT ... FOR UPDATE). Under DEFERRED transactions two processes both read, then one of them
# cannot take the write lock and fails at once, whatever the timeout.
_WRITER = f"""
import os, sqlite3
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
import django
django.setup()
from django.db import connection, transaction
with connection.cursor() as cursor:
    cursor.execute("CREATE TABLE IF NOT EXISTS counter (id INTEGER PRIMARY KEY, n INTEGER)")
    cursor.execute("INSERT OR IGNORE INTO counter (id, n) VALUES (1, 0)")
for _ in range({ROUNDS}):
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT n FROM counter WHERE id = 1")
        (n,) = cursor.fetchone()
        cursor.execute("UPDATE counter SET n = %s WHERE id = 1", [n + 1])
"""


def test_two_processes_writing_the_same_sqlite_file_lose_nothing_and_never_fail(tmp_path):
    database = tmp_path / "db.sqlite3"
    env = {
        **{k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "CELERY_BROKER_URL")},
        "DATABASE_URL": f"sqlite:///{database}",
    }
    writers = [
        subprocess.Popen(
            [sys.executable, "-c", _WRITER],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    results = [writer.communicate(timeout=180) for writer in writers]

    for writer, (_, stderr) in zip(writers, results, strict=True):
        assert writer.returncode == 0, stderr
    with sqlite3.connect(database) as db:
        assert db.execute("SELECT n FROM counter").fetchone() == (2 * ROUNDS,)
        assert db.execute("PRAGMA journal_mode").fetchone() == ("wal",)
