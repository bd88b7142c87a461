"""Benchmark of the impact estimates (``impact.engine.estimate``) for a national program: every province's program
at once, one task per program, as ``impact.tasks.impact_fan_out`` queues them.

For every province of the county registry (34 provinces, 3,048 county-level units) it builds a yearly GDP panel
(2015–2026, first treated year 2025) in memory, with ten weak and ten strong counties per province (fewer where a
province has few units) and the rest as donors, and runs the estimate of each program — nine indicators' worth of
work is the same computation repeated, so one indicator is timed and the total for nine is that times nine.

The programs run in worker processes (``--workers 1`` and ``--workers 2``: a process pool standing in for one and
two Celery worker processes, each taking one program at a time). The database read and write of a task (one query
for the panel, one transaction for the result) are not in the figures: ``bench/gaps.py`` measures that kind of
work, and here the estimate dominates.

    .venv/bin/python bench/impact.py [--workers 1 2] [--provinces N] [--seed S]

prints the wall time, the CPU time spent in the estimates (what the machine's other load does not change), the
slowest program, and the peak memory (RSS) of the parent and of the largest worker.
"""

from __future__ import annotations

import argparse
import os
import random
import resource
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

YEARS = list(range(2015, 2027))
FIRST_TREATED = 2025
PAIRS = 10


def provinces() -> dict[str, list[str]]:
    from pairing.registry import read_registry

    counties: dict[str, list[str]] = {}
    for row in read_registry():
        if row.level == "county":
            counties.setdefault(row.adcode[:2], []).append(row.adcode)
    return counties


def panel_for(codes: list[str], seed: int):
    from impact.engine import Observation

    rng = random.Random(seed)
    cycle = {year: 6.0 + 1.5 * rng.uniform(-1, 1) for year in YEARS}
    pairs = min(PAIRS, len(codes) // 4)
    weak, strong = codes[:pairs], codes[pairs : 2 * pairs]
    panel = {}
    for code in codes:
        level, own = rng.uniform(1e10, 8e10), rng.uniform(-1, 1)
        series = {}
        for index, year in enumerate(YEARS):
            growth = cycle[year] + own + rng.gauss(0, 0.5) + (1.5 if code in weak and year >= FIRST_TREATED else 0)
            level *= 1 + growth / 100
            series[year] = Observation(level=level, growth=growth if index else None)
        panel[code] = series
    donors = [c for c in codes if c not in weak and c not in strong]
    return panel, weak, donors


def run_program(args: tuple[str, list[str], int]) -> tuple[str, int, int, float, float, int]:
    """One program's task: (province, weak counties, donors, seconds, CPU seconds, peak RSS of the worker in KiB)."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")
    import django

    django.setup()
    import linearmodels.panel  # noqa: F401  imported once per worker, as in a long-lived Celery worker
    import pysyncon  # noqa: F401

    from impact.engine import estimate

    province, codes, seed = args
    panel, weak, donors = panel_for(sorted(codes), seed)
    started, cpu = time.perf_counter(), time.process_time()
    estimate(panel=panel, treated=weak, donors=donors, first_treated=FIRST_TREATED)
    elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
    return province, len(weak), len(donors), elapsed, cpu, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--provinces", type=int, default=0, help="only the first N provinces (0 = all)")
    parser.add_argument("--seed", type=int, default=14)
    options = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")
    import django

    django.setup()
    by_province = provinces()
    chosen = sorted(by_province)[: options.provinces or None]
    tasks = [(p, by_province[p], options.seed + i) for i, p in enumerate(chosen)]
    units = sum(len(by_province[p]) for p in chosen)
    print(f"{len(tasks)} programs (provinces), {units} county-level units, years {YEARS[0]}–{YEARS[-1]}")
    for workers in options.workers:
        started = time.perf_counter()
        with ProcessPoolExecutor(max_workers=workers) as pool:
            results = list(pool.map(run_program, tasks))
        wall = time.perf_counter() - started
        slowest = max(results, key=lambda r: r[3])
        weak = sum(r[1] for r in results)
        cpu = sum(r[4] for r in results)
        peak_worker = max(r[5] for r in results) / 1024
        print(
            f"workers={workers}: wall {wall:.1f} s for one indicator ({9 * wall:.0f} s for nine); "
            f"CPU {cpu:.1f} s in the estimates; {weak} weak counties; "
            f"slowest program {slowest[0]}0000 ({slowest[2]} donors) {slowest[3]:.1f} s; "
            f"peak RSS of a worker {peak_worker:.0f} MiB, parent "
            f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB"
        )


if __name__ == "__main__":
    main()
