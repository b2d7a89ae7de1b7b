"""How many request-body bytes this process holds in memory at once, all requests together.

Each body is capped on its own (20 MB for the API, 60 MB for a flow form), but a few callers with a valid
key or flow session sending bodies at the cap together would still hold hundreds of megabytes. So every
chunk a reader keeps is also taken from one budget per process; a body that would overdraw it is refused
(503 with Retry-After) and its bytes go back, as do every request's bytes once it is answered.
"""

import threading

LIMIT = 192 * 1024 * 1024


class Exhausted(Exception):
    """The process holds as many body bytes as it may: answer 503, come back shortly."""


class _Budget:
    def __init__(self, limit: int) -> None:
        self.limit, self.used = limit, 0
        self._lock = threading.Lock()

    def take(self, size: int) -> bool:
        with self._lock:
            if self.used + size > self.limit:
                return False
            self.used += size
            return True

    def give(self, size: int) -> None:
        with self._lock:
            self.used -= size


BODIES = _Budget(LIMIT)


class Hold:
    """One request's share of the budget: `add` each chunk kept, `release` once the request is answered."""

    def __init__(self, budget: _Budget = BODIES) -> None:
        self.budget, self.held = budget, 0

    def add(self, size: int) -> None:
        if not self.budget.take(size):
            raise Exhausted
        self.held += size

    def release(self) -> None:
        self.budget.give(self.held)
        self.held = 0
