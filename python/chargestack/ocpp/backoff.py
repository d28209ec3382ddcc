"""Capped exponential backoff with full jitter for reconnects.

Full jitter (a uniform draw between 0 and the capped exponential) spreads the reconnects
of a fleet after a central-system outage instead of synchronising them.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field


@dataclass
class Backoff:
    initial_s: float = 1.0
    maximum_s: float = 60.0
    factor: float = 2.0
    attempts: int = 0
    rng: random.Random = field(default_factory=random.Random)

    def next_delay(self) -> float:
        ceiling = min(self.maximum_s, self.initial_s * self.factor**self.attempts)
        self.attempts += 1
        return self.rng.uniform(self.initial_s / 2, max(ceiling, self.initial_s / 2))

    def reset(self) -> None:
        self.attempts = 0
