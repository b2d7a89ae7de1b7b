"""The dashboard's upkeep: expired sessions and sign-in failures past their memory are deleted every hour, so
neither table grows with time or with an attacker's guesses (openidv.auth.throttle forgets them after an hour)."""

from openidv.auth import repository, throttle
from openidv.jobs.port import every, session
from openidv.kit.clock import now


@every(3600, "dashboard.prune-sign-ins")
def prune_sign_ins() -> int:
    at = now()
    with session() as db:
        return repository.prune_sign_ins(db, at, at - throttle.FORGET_AFTER)
