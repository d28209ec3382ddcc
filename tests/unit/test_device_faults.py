"""The pieces that decide what a device fault is: energy plausibility, several faults on
one connector, a held card, and UID framings."""

from __future__ import annotations

import pytest

from chargestack.hardware.devices.debounce import HeldCardFilter
from chargestack.hardware.devices.fault_board import FaultBoard
from chargestack.hardware.devices.plausibility import EnergyCheck
from chargestack.hardware.devices.uid_framing import UidFormatError, UidFraming
from chargestack.hardware.events import FaultCleared, FaultRaised, HardwareEvent


def test_energy_check() -> None:
    check = EnergyCheck(max_power_w=150_000.0)
    assert check.problem(None, None, 1000.0, 0.0) is None
    assert check.problem(1000.0, 0.0, 1000.0, 1.0) is None
    # 150 kW for 60 s is 2.5 kWh; with the margin 3.125 kWh + 10 Wh.
    assert check.problem(1000.0, 0.0, 1000.0 + 3_100.0, 60.0) is None
    assert check.problem(1000.0, 0.0, 1000.0 + 3_200.0, 60.0) == "energy jumped 3200 Wh in 60.0 s"
    assert check.problem(1000.0, 0.0, 999.0, 1.0) == "energy register went back 1 Wh"
    assert check.problem(None, None, -5.0, 0.0) == "energy register negative (-5 Wh)"


def test_fault_board_reports_the_newest_fault_and_clears_when_none_is_left() -> None:
    seen: list[HardwareEvent] = []
    board = FaultBoard(seen.append)
    board.raise_fault(1, "meter", "PowerMeterFailure", "meter not answering", "MeterNoAnswer")
    board.raise_fault(1, "meter", "PowerMeterFailure", "meter not answering", "MeterNoAnswer")
    board.raise_fault(1, "contactor", "PowerSwitchFailure", "x" * 80)
    board.clear_fault(1, "contactor")
    board.clear_fault(1, "contactor")
    board.clear_fault(1, "meter")
    assert seen == [
        FaultRaised(1, "PowerMeterFailure", "meter not answering", "MeterNoAnswer"),
        FaultRaised(1, "PowerSwitchFailure", "x" * 50, None),  # CiString50
        FaultRaised(1, "PowerMeterFailure", "meter not answering", "MeterNoAnswer"),
        FaultCleared(1),
    ]
    assert board.active(1) == []


def test_held_card_is_one_presentation_until_it_was_away() -> None:
    held = HeldCardFilter(hold_s=1.0)
    assert held.is_new("A", 0.0)
    assert not held.is_new("A", 0.3)
    assert not held.is_new("A", 1.2)  # each repeat extends the hold
    assert held.is_new("B", 1.3)
    assert held.is_new("A", 1.4)
    assert held.is_new("A", 2.5)  # away for more than the hold
    held.reset()
    assert held.is_new("A", 2.6)


@pytest.mark.parametrize(
    ("framing", "frame", "problem"),
    [
        (UidFraming("", "hex", 4, False), "ABC", "odd number"),
        (UidFraming("", "hex", 4, False), "GG11", "not hex"),
        (UidFraming("\x02", "hex", 4, False), "A1B2", "prefix"),
        (UidFraming("", "decimal", 4, False), "12ab", "not a decimal"),
        (UidFraming("", "decimal", 4, False), "4294967296", "does not fit 4 bytes"),
        (UidFraming("", "hex", 4, False), "00" * 11, "longer than an idTag"),
        (UidFraming("", "hex", 4, False), "\r\n", "empty"),
    ],
)
def test_frames_that_are_no_uid(framing: UidFraming, frame: str, problem: str) -> None:
    with pytest.raises(UidFormatError, match=problem):
        framing.id_tag(frame)
