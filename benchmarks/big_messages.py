"""The console with a hostile big message: a 1 MB subject, a message to 10,000 recipients.

    python benchmarks/big_messages.py [--recipients 10000] [--subject-bytes 1000000]

Run by benchmarks/console.py too (its last line then holds these figures). For each case, in a
fresh process, against a small history (benchmarks/queries.py, 10,000 events) plus the big
message, newest in the flow:
  * open: enter on the flow's top row (the big message) -> its timeline painted (events, the
    recipients' line, the raw record); its wall time, and the CPU the process spent meanwhile (on a
    shared machine the wall time is mostly waiting for a CPU: the CPU figure moves much less);
  * key latency in the timeline while the console ticks (j/k, median/p95/worst);
  * the busiest the event loop was while the timeline sat open for 3 s (what a key waits), and
    the process's CPU over those 3 s (a console re-rendering by itself burns it);
  * peak RSS.
Targets (issue 11, item 9): open under 0.5 s, key latency under 50 ms.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from console import wait_until  # noqa: E402  (benchmarks/ on the path)

CASES = ("subject", "recipients")


def big_bodies(case: str, recipients: int, subject_bytes: int) -> list[str]:
    """SQS bodies of one message: its Send and one Delivery listing every recipient."""
    import corpus

    traffic = corpus.Traffic(seed=5, recipients=1000)
    # Newer than the history (on top of the flow), not in the future (that is quarantined).
    traffic.clock = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=1)
    records = traffic.message_records()
    mail = records[0]["mail"]
    if case == "subject":
        words = ("Your order ", "Ihre Bestellung ", "\u202eevil\u202c ", "[bold]x[/] ", "\x1b[31mred\x1b[0m ")
        subject, i = [], 0
        while sum(map(len, subject)) < subject_bytes:
            subject.append(words[i % len(words)])
            i += 1
        mail["commonHeaders"]["subject"] = "".join(subject)[:subject_bytes]
        mail["headers"] = [h for h in mail["headers"] if h["name"] != "Subject"]
        mail["headersTruncated"] = True
        rcpts = mail["destination"]
    else:
        rcpts = [f"customer{i:05d}.{('lopez', 'smith', 'muller')[i % 3]}@example{i % 7}.com" for i in range(recipients)]
        mail["destination"] = rcpts
        mail["commonHeaders"]["to"] = rcpts
        mail["headers"] = [h for h in mail["headers"] if h["name"] != "To"]
        mail["headersTruncated"] = True
    sent = mail["timestamp"]
    delivered = sent[:-4] + "900Z"
    delivery = {"eventType": "Delivery", "mail": mail, "delivery": {
        "timestamp": delivered, "processingTimeMillis": 800, "recipients": rcpts,
        "smtpResponse": "250 2.0.0 OK", "reportingMTA": "a8-70.smtp-out.amazonses.com"}}
    return [corpus.sns_body({"eventType": "Send", "mail": mail, "send": {}}, 1), corpus.sns_body(delivery, 2)]


def build(case: str, recipients: int, subject_bytes: int, cache: Path) -> tuple[Path, str]:
    import queries

    from sestui.core.events import parse_body
    from sestui.store import Store

    db = queries.database(10_000, seed=7, cache_dir=cache, rebuild=False)
    work = Path(tempfile.mkdtemp()) / "big.db"
    shutil.copyfile(db, work)
    store = Store(work)
    bodies = big_bodies(case, recipients, subject_bytes)
    store.add([(b, parse_body(b)) for b in bodies])
    message_id = json.loads(json.loads(bodies[0])["Message"])["mail"]["messageId"]
    store.close()
    return work, message_id


async def measure(db: Path, message_id: str) -> dict:
    from textual import events

    from sestui.store import Store
    from sestui.ui.app import ConsoleContext, SestuiApp

    store = Store(db)
    ctx = ConsoleContext(store=store, aws=None, profile="bench", region="us-east-1", queue_url="bench")
    app = SestuiApp(ctx)
    async with app.run_test(size=(120, 40)) as pilot:
        flow = app.pane("flow")
        await wait_until(pilot, timeout=120.0, condition=lambda: flow.table.row_count > 0)
        await pilot.pause()
        assert flow.message_ids.get(flow.table.selected_key()) == message_id, "the big message is not on top"
        timeline = app.pane("timeline")
        raw = timeline.query_one("#tl-raw")
        start, cpu_start = time.perf_counter(), time.process_time()
        seen: dict[str, float] = {}  # when (after enter) the pane showed, its rows came, its record was drawn

        async def watch() -> None:
            steps = (("pane", lambda: app.current == "timeline"), ("rows", lambda: timeline.table.row_count),
                     ("record", lambda: str(raw.render()).strip()))
            for name, shown in steps:
                while not shown():
                    await asyncio.sleep(0.001)
                seen[name] = time.perf_counter() - start

        watcher = asyncio.create_task(watch())
        await pilot.press("enter")
        await wait_until(pilot, timeout=120.0, condition=lambda: app.current == "timeline" and timeline.table.row_count
                         and str(raw.render()).strip())
        await pilot.pause()
        open_s, open_cpu_s = time.perf_counter() - start, time.process_time() - cpu_start
        watcher.cancel()
        latencies = []
        table = timeline.table
        table.move_cursor(row=max(0, table.row_count // 2))
        await pilot.pause()
        for _ in range(60):
            row = table.cursor_row
            key = "k" if row == table.row_count - 1 else "j"  # to and fro (a 2-event timeline too)
            t0 = time.perf_counter()
            app.post_message(events.Key(key, key))
            while table.cursor_row == row:
                if time.perf_counter() - t0 > 30:
                    raise TimeoutError("the cursor did not move")
                await asyncio.sleep(0.0005)
            latencies.append(time.perf_counter() - t0)
            await asyncio.sleep(0.05)
        # Sitting open: ticks come and go; how busy is the loop, how much CPU does the process burn?
        stalls = []
        cpu0, wall0 = time.process_time(), time.perf_counter()
        until = wall0 + 3.0
        while time.perf_counter() < until:
            t0, c0 = time.perf_counter(), time.thread_time()
            await asyncio.sleep(0.001)
            stalls.append((time.perf_counter() - t0 - 0.001, time.thread_time() - c0))
        cpu_percent = (time.process_time() - cpu0) / (time.perf_counter() - wall0) * 100
    store.close()
    wall, cpu = sorted(s for s, _ in stalls), sorted(c for _, c in stalls)
    return {
        "open_s": round(open_s, 3),
        "open_cpu_s": round(open_cpu_s, 3),  # the process's CPU (every thread) while opening: less noisy
        # within the open: when the pane was on screen, its table filled, its raw record drawn (the rest
        # of open_s is the console settling, as a test's pilot waits for it)
        **{f"open_{name}_s": round(at, 3) for name, at in seen.items()},
        "timeline_rows": table.row_count,
        "key_latency_median_ms": round(statistics.median(latencies) * 1000, 2),
        "key_latency_p95_ms": round(sorted(latencies)[int(len(latencies) * 0.95)] * 1000, 2),
        "key_latency_max_ms": round(max(latencies) * 1000, 2),
        "open_loop_stall_max_ms": round(wall[-1] * 1000, 2),
        "open_loop_busy_max_ms": round(cpu[-1] * 1000, 2),
        "open_cpu_percent": round(cpu_percent, 1),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "load_1m": round(os.getloadavg()[0], 2),  # how busy the machine was (the figures are wall times)
    }


def run_case(case: str, recipients: int, subject_bytes: int, cache: Path) -> dict:
    db, message_id = build(case, recipients, subject_bytes, cache)
    try:
        return asyncio.run(measure(db, message_id))
    finally:
        for suffix in ("", "-wal", "-shm"):
            Path(f"{db}{suffix}").unlink(missing_ok=True)


def run_all(recipients: int, subject_bytes: int, cache: Path) -> dict:
    """Each case in a process of its own; {case: figures}."""
    results = {}
    for case in CASES:
        proc = subprocess.run([sys.executable, __file__, "--one", case, "--recipients", str(recipients),
                               "--subject-bytes", str(subject_bytes), "--cache-dir", str(cache)],
                              capture_output=True, text=True)
        if proc.returncode:
            raise SystemExit(proc.stderr.strip().splitlines()[-1] if proc.stderr.strip() else "failed")
        results[case] = json.loads(proc.stdout.strip().splitlines()[-1])
        print(f"big message ({case}): {results[case]}", file=sys.stderr)
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--recipients", type=int, default=10_000)
    parser.add_argument("--subject-bytes", type=int, default=1_000_000)
    parser.add_argument("--cache-dir", type=Path, default=Path(tempfile.gettempdir()))
    parser.add_argument("--one", choices=CASES, help=argparse.SUPPRESS)  # internal: measure one case here
    args = parser.parse_args()
    if args.one:
        print(json.dumps(run_case(args.one, args.recipients, args.subject_bytes, args.cache_dir)))
        return
    print(json.dumps(run_all(args.recipients, args.subject_bytes, args.cache_dir)))


if __name__ == "__main__":
    main()
