"""Console responsiveness with small and large histories, run headless.

    python benchmarks/console.py [--sizes 10000 1000000] [--rate 500]

For each size, in a fresh process (so peak RSS is that run's own):
  * launch -> first painted flow table (the app starts, reads the newest page, paints it);
  * enter -> painted timeline (a message's events and its raw record on screen);
  * with a writer process storing `rate` events/s (as the console's collector is a child process): key press -> cursor moved (median, p95, worst)
    while the cursor is away from the top; then, following the newest rows, the longest the
    event loop was busy (what a key press would wait), and whether the flow kept up;
  * peak RSS.
Then the two big-message cases of benchmarks/big_messages.py (a 1 MB subject, 10,000 recipients:
open time, key latency; `--no-big` skips them).
The last line is one JSON object with every figure and the large/small ratios. `--trace` also
prints what the longest event-loop steps while following were made of (benchmarks/stall_trace.py:
handlers, timer callbacks, layout, repaint, garbage collections); its timing wrappers slow the
console, so its figures are for reading, not for comparing.
Databases come from benchmarks/queries.py (cached under the temp folder).
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))


async def wait_until(pilot, condition, timeout: float = 30.0) -> float:
    start = time.perf_counter()
    while not condition():
        if time.perf_counter() - start > timeout:
            raise TimeoutError("condition not reached")
        await pilot.pause(0.002)
    return time.perf_counter() - start


def feeder(db: Path, rate: int, stop=None, written=None) -> None:
    """Store `rate` realistic events per second, in 10 batches a second, like a busy collector. It
    runs in a process of its own, as the console's collector does (a `sestui collect` child)."""
    import corpus

    from sestui.core.events import parse_body
    from sestui.store import Store

    store = Store(db)
    bodies = iter(corpus.bodies(rate * 30, seed=99))
    per_tick = max(1, rate // 10)
    next_tick = time.perf_counter()
    while True:  # until the benchmark terminates this process
        batch = [next(bodies) for _ in range(per_tick)]
        store.add([(b, parse_body(b)) for b in batch])
        next_tick += 0.1
        time.sleep(max(0.0, next_tick - time.perf_counter()))
    store.close()


def newest_id(store) -> int:
    """The newest event's id: what the writer added is the difference (it only appends). Not
    count(*): that reads the whole table through this process's mmap of the file, and those pages
    are this process's RSS (150 MB at 1M events), which peak RSS would then report as the console's."""
    rows = store.flow_page(limit=1)
    return rows[0]["id"] if rows else 0


def gc_pause_recorder(pauses: list[float]):
    """A gc callback appending each collection's duration to `pauses`."""
    started = [0.0]

    def record(phase: str, info: dict) -> None:
        if phase == "start":
            started[0] = time.perf_counter()
        else:
            pauses.append(time.perf_counter() - started[0])
    return record


async def measure(db: Path, rate: int) -> dict:
    from textual import events

    from sestui.store import Store
    from sestui.ui.app import ConsoleContext, SestuiApp

    store = Store(db)
    ctx = ConsoleContext(store=store, aws=None, profile="bench", region="us-east-1", queue_url="bench")
    app = SestuiApp(ctx)
    start = time.perf_counter()
    async with app.run_test(size=(120, 40)) as pilot:
        flow = app.pane("flow")
        await wait_until(pilot, lambda: flow.table.row_count > 0)
        await pilot.pause()  # one more frame: painted, not only loaded
        first_paint = time.perf_counter() - start

        timeline = app.pane("timeline")
        start = time.perf_counter()
        await pilot.press("enter")
        await wait_until(pilot, lambda: app.current == "timeline" and timeline.rows
                         and str(timeline.query_one("#tl-raw").render()).strip())
        await pilot.pause()
        open_timeline = time.perf_counter() - start
        await pilot.press("escape")

        before = newest_id(store)
        writer = subprocess.Popen([sys.executable, __file__, "--feed", str(db), str(rate)], stdin=subprocess.DEVNULL)
        last_before = flow.last_id or 0
        await pilot.press("j", "j")  # leave the top: rows arrive above without moving the cursor
        latencies = []
        for i in range(100):
            row = flow.table.cursor_row
            key = "j" if i % 2 == 0 else "k"
            t0 = time.perf_counter()
            app.post_message(events.Key(key, key))  # as the terminal driver delivers a key press
            while flow.table.cursor_row == row:
                if time.perf_counter() - t0 > 5:
                    raise TimeoutError("the cursor did not move")
                await asyncio.sleep(0.0005)
            latencies.append(time.perf_counter() - t0)
            await asyncio.sleep(0.1)
        # Back on top, the flow follows: rows are inserted every tick. A key pressed then waits at
        # most as long as the event loop is busy, so measure its longest stall over a few ticks.
        # Wall-clock stalls include the time other processes held the CPU (the machine is shared);
        # the main thread's own CPU time over the same gaps is the work the loop itself did.
        app.post_message(events.Key("g", "g"))
        stalls, busy, pauses = [], [], []
        gc.callbacks.append(gc_pause_recorder(pauses))
        trace = sys.modules.get("stall_trace")
        if trace:
            trace.recording[0] = True
        until = time.perf_counter() + 4.0
        while time.perf_counter() < until:
            t0, c0 = time.perf_counter(), time.thread_time()
            await asyncio.sleep(0.001)
            stalls.append(time.perf_counter() - t0 - 0.001)
            busy.append(time.thread_time() - c0)
        gc.callbacks.pop()
        if trace:
            trace.recording[0] = False
        writer.terminate()
        writer.wait(10)
        written = newest_id(store) - before
        await asyncio.sleep(2.2)  # the last rows written reach the screen within two ticks
        behind = store.flow_page(after_id=flow.last_id or last_before, limit=1_000_000)
    store.close()
    return {
        "first_paint_s": round(first_paint, 4),
        "open_timeline_s": round(open_timeline, 4),
        "key_latency_median_ms": round(statistics.median(latencies) * 1000, 2),
        "key_latency_p95_ms": round(sorted(latencies)[int(len(latencies) * 0.95)] * 1000, 2),
        "key_latency_max_ms": round(max(latencies) * 1000, 2),
        "following_loop_stall_p99_ms": round(sorted(stalls)[int(len(stalls) * 0.99)] * 1000, 2),
        "following_loop_stall_max_ms": round(max(stalls) * 1000, 2),
        "following_loop_busy_max_ms": round(max(busy) * 1000, 2),
        "following_gc_pause_max_ms": round(max(pauses, default=0) * 1000, 2),
        "events_written": written,
        "events_not_shown_2s_after_writes_stop": len(behind),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }


def run_one(size: int, rate: int, cache: Path) -> dict:
    import queries

    db = queries.database(size, seed=7, cache_dir=cache, rebuild=False)
    work = Path(tempfile.mkdtemp()) / "console.db"
    shutil.copyfile(db, work)  # the feeder writes: keep the cached database pristine
    try:
        return asyncio.run(measure(work, rate))
    finally:
        for suffix in ("", "-wal", "-shm"):
            Path(f"{work}{suffix}").unlink(missing_ok=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 1_000_000])
    parser.add_argument("--rate", type=int, default=500, help="events/s written while keys are pressed")
    parser.add_argument("--cache-dir", type=Path, default=Path(tempfile.gettempdir()))
    parser.add_argument("--no-big", action="store_true", help="skip the big-message cases")
    parser.add_argument("--trace", action="store_true",
                        help="print what the longest stalls while following were made of (benchmarks/stall_trace.py)")
    parser.add_argument("--one", type=int, help=argparse.SUPPRESS)  # internal: measure one size here
    parser.add_argument("--feed", nargs=2, help=argparse.SUPPRESS)  # internal: be the collector child
    args = parser.parse_args()
    if args.feed:
        feeder(Path(args.feed[0]), int(args.feed[1]))
        return
    if args.one:
        if args.trace:
            import stall_trace

            stall_trace.install()
        print(json.dumps(run_one(args.one, args.rate, args.cache_dir)))
        if args.trace:
            stall_trace.report()
        return
    results = {}
    for size in args.sizes:
        proc = subprocess.run([sys.executable, __file__, "--one", str(size), "--rate", str(args.rate),
                               "--cache-dir", str(args.cache_dir), *(["--trace"] if args.trace else [])],
                              capture_output=True, text=True)
        if args.trace:
            print(proc.stderr, file=sys.stderr)
        if proc.returncode:
            raise SystemExit(proc.stderr.strip().splitlines()[-1] if proc.stderr.strip() else "failed")
        results[size] = json.loads(proc.stdout.strip().splitlines()[-1])
        print(f"{size} events: {results[size]}", file=sys.stderr)
    small, large = min(results), max(results)
    summary = {"rate_events_per_s": args.rate}
    for size, figures in results.items():
        for key, value in figures.items():
            summary[f"{key}@{size}"] = value
    for key in ("first_paint_s", "open_timeline_s"):
        summary[f"{key}_ratio"] = round(results[large][key] / results[small][key], 2)
    if not args.no_big:
        import big_messages

        for case, figures in big_messages.run_all(10_000, 1_000_000, args.cache_dir).items():
            for key, value in figures.items():
                summary[f"big_{case}_{key}"] = value
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
