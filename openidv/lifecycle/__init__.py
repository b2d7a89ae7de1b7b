"""THE status machines: the only code that writes a status column (DESIGN.md §4)."""

from openidv.lifecycle.transition import IllegalTransition, create, transition
from openidv.lifecycle.transition import allowed as transition_allowed

__all__ = ["IllegalTransition", "create", "transition", "transition_allowed"]
