"""The interval grid of the sampling loop: the next slot, missed slots skipped."""

from __future__ import annotations

from chargestack.station.clock import next_slot


def test_the_slot_after_the_previous_one() -> None:
    assert next_slot(100.0, 60.0, 100.0) == 160.0
    assert next_slot(100.0, 60.0, 130.0) == 160.0


def test_a_slot_that_is_due_now_is_taken_now() -> None:
    assert next_slot(100.0, 60.0, 160.0) == 160.0


def test_a_late_loop_skips_the_missed_slots_instead_of_catching_up() -> None:
    assert next_slot(100.0, 60.0, 161.0) == 220.0
    assert next_slot(0.0, 60.0, 900.5) == 960.0
