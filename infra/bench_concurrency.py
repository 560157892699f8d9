"""`python -m infra.bench_concurrency`: how many requests one worker instance should take at once.

The worker's deploy concurrency (infra/functions.py) is chosen from this measurement: the same
renders run one after another and then in 2 and 4 threads of one process, as an instance with
`--concurrency=N` would run them. Rendering is pure Python (the GIL), so more threads cannot make
it faster; they only add memory and stretch each task. Ratios within one run, never wall-clock
limits in tests.
"""

from __future__ import annotations

import statistics
import time
import tracemalloc
from concurrent.futures import ThreadPoolExecutor

from carpulse.report.pdf import render_vehicle_pdf
from infra.bench import scenario_snapshots

RENDERS = 8


def _batch(threads: int, snapshots: list) -> tuple[float, float]:
    """Seconds for RENDERS renders with `threads` at once, and the peak traced memory in MiB."""
    tracemalloc.start()
    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=threads) as pool:
        list(pool.map(render_vehicle_pdf, [snapshots[i % len(snapshots)] for i in range(RENDERS)]))
    elapsed = time.perf_counter() - started
    peak = tracemalloc.get_traced_memory()[1] / 2**20
    tracemalloc.stop()
    return elapsed, peak


def main() -> int:
    """Print throughput and memory per concurrency, relative to one at a time."""
    snapshots = list(scenario_snapshots().values())
    render_vehicle_pdf(snapshots[0])  # warm: fonts parsed, modules imported
    rows = {}
    for threads in (1, 2, 4):
        runs = [_batch(threads, snapshots) for _ in range(3)]
        rows[threads] = (statistics.median(r[0] for r in runs), max(r[1] for r in runs))
    base_time, base_peak = rows[1]
    print(f"{'concurrency':>11}  {'throughput':>10}  {'peak memory':>11}")
    for threads, (elapsed, peak) in rows.items():
        print(f"{threads:>11}  {base_time / elapsed:>9.2f}x  {peak / base_peak:>10.2f}x")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
