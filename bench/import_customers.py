"""Benchmark: importing a.s.r.'s customer register (``customers.imports``) from a 100,000-row CSV.

On the configured database (``DATABASE_URL``, as ``manage.py`` would use it; migrated first):

- a CSV file of 10,000 and one of 100,000 register rows (two policies per customer) are written
  to temporary files;
- each is imported through ``customers.imports.import_customers`` (the service the admin upload
  and ``manage.py import_customers`` use) in a fresh child process, which reports the wall time
  of the import, its RSS before the import and its peak RSS (``ru_maxrss``): the peak of the
  100,000-row run against that of the 10,000-row run shows whether memory grows with the file;
- then the 100,000-row file is imported again (another child): every row must count as
  unchanged and the register must be exactly as before (no row added, none updated).

The bench's rows (policies ``BENCH-…``, customers ``Bench-klant …`` with KvK numbers from
90000000) are removed before and after; it refuses to run when that KvK range holds other
customers. Targets: ``import_100k_s`` <= 30, the peak RSS not growing with the file, the
re-import changing nothing.

Last line: ``RESULT import_100k_s=… peak_rss_mb=… reimport_100k_s=…``.

Run: ``DATABASE_URL=postgres://postgres@127.0.0.1:5432/<db> .venv/bin/python
bench/import_customers.py`` (or ``make bench``, on the configured database).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

SIZES = (10_000, 100_000)
KVK_FIRST = 90_000_000
POLICY_PREFIX = "BENCH-"
NAME_PREFIX = "Bench-klant "
TARGET_S = 30.0


def rss_mb() -> float:
    """This process's current resident set size (Linux /proc), in MB."""
    with Path("/proc/self/statm").open() as statm:
        pages = int(statm.read().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") / 1024 / 1024


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KB on Linux


def write_csv(path: Path, rows: int) -> None:
    with path.open("w", encoding="utf-8", newline="") as out:
        out.write("kvk_nummer;naam;polisnummer;email\n")
        for n in range(rows):
            customer = n // 2
            out.write(
                f"{KVK_FIRST + customer:08d};{NAME_PREFIX}{customer};{POLICY_PREFIX}{n:08d};"
                f"contact{n}@klant{customer}.example\n"
            )


# --- the child: one import, measured -----------------------------------------------------------


def child(path: str) -> None:
    import django

    django.setup()
    from django.conf import settings
    from django.db import connection

    from customers.imports import import_customers

    # As in production (DEBUG off): with DEBUG on, Django keeps the last 9,000 queries' SQL,
    # which would be measured as the import's memory.
    settings.DEBUG = False

    connection.ensure_connection()
    before = rss_mb()
    start = time.perf_counter()
    with Path(path).open("rb") as file:
        report = import_customers(file, actor_label="bench")
    seconds = time.perf_counter() - start
    print(
        json.dumps(
            {
                "seconds": seconds,
                "rss_before_mb": before,
                "peak_rss_mb": peak_rss_mb(),
                "applied": report.applied,
                "rows": report.rows,
                "added": report.added,
                "changed": report.changed,
                "unchanged": report.unchanged,
                "refused": report.refused_count,
                "file_error": report.file_error,
            }
        )
    )


def run_child(path: Path) -> dict[str, object]:
    result = subprocess.run(
        [sys.executable, __file__, "--child", str(path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "LOG_LEVEL": "WARNING"},
    )
    if result.returncode != 0:
        sys.exit(f"De import stopte (exit {result.returncode}):\n{result.stderr}")
    return json.loads(result.stdout.strip().splitlines()[-1])


# --- the parent --------------------------------------------------------------------------------


def bench_rows():
    from django.db.models import Max

    from customers.models import Customer, Policy

    policies = Policy.objects.filter(number__startswith=POLICY_PREFIX)
    customers = Customer.objects.filter(name__startswith=NAME_PREFIX)
    return (
        policies.count(),
        policies.aggregate(last=Max("updated_at"))["last"],
        customers.count(),
        customers.aggregate(last=Max("updated_at"))["last"],
    )


def clean_up() -> None:
    """Remove the bench's rows (plain SQL: 100,000 policies are not loaded into Python)."""
    from django.db import connection, transaction

    from customers.models import Customer, Policy

    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            f"DELETE FROM {Policy._meta.db_table} WHERE number LIKE %s",
            [POLICY_PREFIX + "%"],
        )
        cursor.execute(
            f"DELETE FROM {Customer._meta.db_table} WHERE name LIKE %s",
            [NAME_PREFIX + "%"],
        )
    if connection.vendor == "postgresql":
        # A fresh start for the next run: no dead index entries of the rows just deleted.
        with connection.cursor() as cursor:
            cursor.execute(f"VACUUM ANALYZE {Policy._meta.db_table}, {Customer._meta.db_table}")


def refuse_foreign_rows() -> None:
    from customers.models import Customer

    last = f"{KVK_FIRST + max(SIZES):08d}"
    foreign = (
        Customer.objects.filter(kvk_number__gte=f"{KVK_FIRST:08d}", kvk_number__lte=last)
        .exclude(name__startswith=NAME_PREFIX)
        .count()
    )
    if foreign:
        sys.exit(
            f"Het klantregister heeft {foreign} klant(en) met een KvK-nummer van {KVK_FIRST} tot "
            f"{last}: die gebruikt deze benchmark. Draai hem op een andere database."
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--child", help=argparse.SUPPRESS)
    arguments = parser.parse_args()
    if arguments.child:
        child(arguments.child)
        return

    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", verbosity=0, interactive=False)
    database = settings.DATABASES["default"]
    print(f"Database: {connection.vendor} {database.get('HOST') or ''} {database['NAME']}")
    refuse_foreign_rows()
    clean_up()
    connection.close()  # the children use their own connections

    results = {}
    with tempfile.TemporaryDirectory(prefix="bench-import-") as workdir:
        try:
            for size in SIZES:
                path = Path(workdir) / f"register-{size}.csv"
                write_csv(path, size)
                megabytes = path.stat().st_size / 1024 / 1024
                result = results[size] = run_child(path)
                if not (result["applied"] and result["added"] == size):
                    sys.exit(f"De import van {size} rijen ging niet goed: {result}")
                print(
                    f"N={size:>7} ({megabytes:5.1f} MB): import {result['seconds']:6.2f} s "
                    f"({size / result['seconds']:,.0f} rijen/s); RSS voor de import "
                    f"{result['rss_before_mb']:.1f} MB, piek {result['peak_rss_mb']:.1f} MB"
                )
                if size != SIZES[-1]:
                    clean_up()
                    connection.close()

            before = bench_rows()
            connection.close()
            again = run_child(path)
            after = bench_rows()
            connection.close()
            size = SIZES[-1]
            unchanged = again["applied"] and again["unchanged"] == size
            untouched = before == after and before[0] == size
            print(
                f"N={size:>7} opnieuw: {again['seconds']:6.2f} s; toegevoegd {again['added']}, "
                f"gewijzigd {again['changed']}, ongewijzigd {again['unchanged']}; register "
                f"{'onveranderd' if untouched else 'VERANDERD'} ({after[0]} polissen, "
                f"{after[2]} klanten); piek RSS {again['peak_rss_mb']:.1f} MB"
            )
            if not (unchanged and untouched):
                sys.exit("De tweede import van hetzelfde bestand veranderde iets.")
        finally:
            clean_up()

    small, large = (results[size] for size in SIZES)
    growth = large["peak_rss_mb"] - small["peak_rss_mb"]
    print(
        f"Piek RSS: {small['peak_rss_mb']:.1f} MB bij {SIZES[0]:,} rijen, "
        f"{large['peak_rss_mb']:.1f} MB bij {SIZES[1]:,} rijen (verschil {growth:+.1f} MB); "
        f"doel import <= {TARGET_S:.0f} s: "
        f"{'gehaald' if large['seconds'] <= TARGET_S else 'NIET gehaald'}"
    )
    print(
        f"RESULT import_100k_s={large['seconds']:.1f} peak_rss_mb={large['peak_rss_mb']:.1f} "
        f"reimport_100k_s={again['seconds']:.1f}"
    )


if __name__ == "__main__":
    main()
