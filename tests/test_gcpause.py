"""gc_paused: the collector is off inside, restored on exit, and what was made meanwhile is frozen, not rescanned."""
from __future__ import annotations

import gc

from pcap_analyzer.gcpause import gc_paused


def test_paused_inside_restored_after_and_made_objects_frozen() -> None:
    assert gc.isenabled()
    before = gc.get_freeze_count()
    try:
        with gc_paused():
            assert not gc.isenabled()
            made = [[i] for i in range(10_000)]  # tracked containers
            with gc_paused():  # nested: still paused after the inner exit, nothing frozen yet
                pass
            assert not gc.isenabled() and gc.get_freeze_count() == before
        assert gc.isenabled()
        assert gc.get_freeze_count() >= before + len(made)
        assert not any(made[0] is o for o in gc.get_objects(generation=0))  # the collector does not see them
    finally:
        gc.unfreeze()


def test_a_disabled_collector_stays_disabled() -> None:
    gc.disable()
    try:
        with gc_paused():
            pass
        assert not gc.isenabled()
    finally:
        gc.enable()
