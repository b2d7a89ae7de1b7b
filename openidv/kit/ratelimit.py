"""A fixed-window request counter per key (per environment), as Persona documents (300/min)."""

import math
import threading
import time
from dataclasses import dataclass


@dataclass
class Verdict:
    allowed: bool
    limit: int
    remaining: int
    reset_seconds: int


class FixedWindow:
    """In-process counter: exact in embedded mode; per process when several servers run."""

    def __init__(self, limit: int, window_seconds: int = 60) -> None:
        self.limit = limit
        self.window = window_seconds
        self._counts: dict[str, tuple[int, int]] = {}
        self._lock = threading.Lock()

    def hit(self, key: str) -> Verdict:
        now = time.time()
        window_index = int(now // self.window)
        with self._lock:
            index, count = self._counts.get(key, (window_index, 0))
            if index != window_index:
                index, count = window_index, 0
            allowed = count < self.limit
            if allowed:
                count += 1
            self._counts[key] = (index, count)
        reset = max(1, math.ceil((window_index + 1) * self.window - now))
        return Verdict(allowed, self.limit, max(0, self.limit - count), reset)
