"""The console's pacing of full garbage collections (ui/gc_pacing.py)."""

from __future__ import annotations

import gc

from sestui.ui.gc_pacing import FULL_EVERY, SETTLED, GcPacing


def test_full_collections_come_with_the_tick_and_what_the_first_screen_built_is_frozen():
    saved = gc.get_threshold()
    pacing = GcPacing()
    pacing.start()
    try:
        assert gc.get_threshold()[2] > 1_000_000, "no full collection by allocation counts"
        kept = [[i] for i in range(1000)]  # built after the start: not frozen yet
        for tick in range(1, SETTLED):
            pacing.tick(tick)
        assert _collectable(kept[0]) and _collectable(kept[-1])
        pacing.tick(SETTLED)
        # frozen objects leave the generations a collection walks (a count of the permanent
        # generation could not tell: another thread may free a frozen object meanwhile)
        assert not _collectable(kept[0]) and not _collectable(kept[-1]), "the settled console's objects are frozen"
        collections = gc.get_stats()[2]["collections"]
        pacing.tick(FULL_EVERY + 1)
        assert gc.get_stats()[2]["collections"] == collections
        pacing.tick(FULL_EVERY * 2)
        assert gc.get_stats()[2]["collections"] == collections + 1
    finally:
        pacing.stop()
    assert gc.get_threshold() == saved


def _collectable(obj: object) -> bool:
    return any(o is obj for o in gc.get_objects())
