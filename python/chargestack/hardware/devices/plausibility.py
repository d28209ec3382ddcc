"""Whether a new energy reading can be true, given the last good one.

An energy register never goes backwards (errata 3.9) and cannot rise faster than the most
power the meter can see. A reading that breaks either is refused: the transaction keeps
the last good register, never a value made up from a broken one.
"""

from __future__ import annotations

from dataclasses import dataclass

# Headroom over the rated power and the poll timing, so a meter at full power is never refused.
_POWER_MARGIN = 1.25
# Register resolution and rounding: a step this small is never refused.
_MIN_STEP_WH = 10.0


@dataclass(frozen=True)
class EnergyCheck:
    max_power_w: float

    def problem(
        self, last_wh: float | None, last_at_s: float | None, new_wh: float, now_s: float
    ) -> str | None:
        """None when ``new_wh`` is plausible; otherwise why not (fits StatusNotification.info)."""
        if new_wh < 0:
            return f"energy register negative ({new_wh:.0f} Wh)"
        if last_wh is None or last_at_s is None:
            return None
        if new_wh < last_wh:
            return f"energy register went back {last_wh - new_wh:.0f} Wh"
        elapsed_s = max(0.0, now_s - last_at_s)
        possible = self.max_power_w * _POWER_MARGIN * elapsed_s / 3600.0 + _MIN_STEP_WH
        if new_wh - last_wh > possible:
            return f"energy jumped {new_wh - last_wh:.0f} Wh in {elapsed_s:.1f} s"
        return None
