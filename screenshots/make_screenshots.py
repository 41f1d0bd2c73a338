"""Save an SVG of each console pane, taken from `sestui demo` running headless.

    python screenshots/make_screenshots.py [--size 100x30] [--warmup 20]

Starts the embedded sandbox with generated traffic, lets events flow for a while, then walks the
panes (flow, a bounced message's timeline, suppressions, reputation, send, doctor, help) and writes
screenshots/<pane>.svg.
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from pathlib import Path

from sestui.aws import Aws
from sestui.ops.collector import Collector, CollectorOptions
from sestui.cli.children import stop_process
from sestui.cli.launch import start_sandbox
from sestui.store import Store
from sestui.ui.app import ConsoleContext, SestuiApp
from sestui.ui.messages import OpenTimeline

HERE = Path(__file__).resolve().parent


async def settle(pilot, rounds: int = 3) -> None:
    for _ in range(rounds):
        await pilot.app.workers.wait_for_complete()
        await pilot.pause(0.2)


async def shoot(app: SestuiApp, size: tuple[int, int], warmup: float) -> list[Path]:
    saved = []

    def save(name: str) -> None:
        path = HERE / f"{name}.svg"
        app.save_screenshot(filename=path.name, path=str(HERE))
        saved.append(path)

    async with app.run_test(size=size) as pilot:
        deadline = time.monotonic() + warmup
        while time.monotonic() < deadline:
            app.tick()
            await settle(pilot, 1)
        save("flow")
        bounced = [r for r in app.ctx.store.flow_page(types=["bounce"], limit=50) if r["bounce_type"] == "Permanent"]
        if bounced:
            app.post_message(OpenTimeline(bounced[0]["message_id"]))
            await settle(pilot)
            save("timeline")
        for key, name in (("3", "suppressions"), ("4", "reputation"), ("5", "send"), ("6", "doctor")):
            await pilot.press("escape", key)  # escape leaves the send form's text field
            await settle(pilot, 6)
            save(name)
        await pilot.press("1", "question_mark")
        await settle(pilot)
        save("help")
    return saved


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", default="100x30")
    parser.add_argument("--warmup", type=float, default=20.0, help="seconds of traffic before the first shot")
    parser.add_argument("--rate", type=float, default=5.0)
    args = parser.parse_args()
    width, height = (int(v) for v in args.size.split("x"))
    proc, info = start_sandbox(args.rate, ["--history", "14"])
    try:
        with tempfile.TemporaryDirectory() as tmp:
            aws = Aws(None, info["region"], info["endpoint_url"], sqs_wait_seconds=1)
            store = Store(Path(tmp) / "shots.db")
            collector = Collector(aws, store, CollectorOptions(info["queue_url"], receivers=2, wait_seconds=1,
                                                              account_interval=3, stats_interval=5))
            collector.start()
            ctx = ConsoleContext(store=store, aws=aws, profile="demo", region=info["region"],
                                 queue_url=info["queue_url"], configuration_set=info["configuration_set"],
                                 collector=collector)
            for path in asyncio.run(shoot(SestuiApp(ctx), (width, height), args.warmup)):
                print(path.relative_to(HERE.parent))
            collector.stop()
            store.close()
    finally:
        stop_process(proc)


if __name__ == "__main__":
    main()
