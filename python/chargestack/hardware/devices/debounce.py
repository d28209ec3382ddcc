"""A card held on a reader is one presentation.

Readers repeat a card's UID for as long as it lies on them. A UID counts as a new
presentation only when it differs from the last one, or when the last one has not been seen
for ``hold_s`` (each repeat extends the hold: a card held a minute is still one swipe).
"""

from __future__ import annotations


class HeldCardFilter:
    def __init__(self, hold_s: float) -> None:
        self._hold_s = hold_s
        self._last: str | None = None
        self._last_seen_s = 0.0

    def is_new(self, tag: str, now_s: float) -> bool:
        held = tag == self._last and now_s - self._last_seen_s < self._hold_s
        self._last, self._last_seen_s = tag, now_s
        return not held

    def reset(self) -> None:
        """The reader was away: whatever it reads next is a new presentation."""
        self._last = None
