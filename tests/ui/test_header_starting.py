"""The header says STARTING while the console's own collector child has not checked in (it said
STOPPED for the first seconds of a demo), and the child's own state once it has."""

from __future__ import annotations

from console_data import NOW_MS, make_app, on_screen, run

from sestui.store import Store


def test_the_header_says_starting_until_the_consoles_collector_reports(tmp_path):
    queue = "https://sqs.us-east-1.amazonaws.com/123456789012/fresh-demo"
    store = Store(tmp_path / "fresh.db")  # a new database: no collector has ever reported into it
    app = make_app(store, queue_url=queue, collector_started_ms=NOW_MS - 1_000)

    async def scenario(pilot):
        header = on_screen(app, app.query_one("#health"))
        assert "STARTING" in header and "STOPPED" not in header, header

    try:
        run(app, scenario, size=(120, 40))
    finally:
        store.close()
