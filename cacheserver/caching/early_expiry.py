"""Probabilistic early expiry (XFetch): refresh a hot entry before it expires, with no coordination.

Vattani, Chierichetti, Lowenstein (VLDB 2015): with ``delta`` the measured recompute time stored beside
the value and ``expiry`` its fresh-until time, a reader recomputes when

    now - delta * beta * ln(U) >= expiry,    U uniform in (0, 1]

i.e. with probability exp(-t / (beta * delta)) per read, t the time left. beta > 1 refreshes earlier,
beta < 1 later. Alone this does not deduplicate (about e^(1/beta) recomputes per expiry under load), so the
cache pairs it with a short refresh lease (SET NX PX about 2 * delta): the first reader that draws "recompute"
and wins the lease refreshes, the others keep serving the current value.
"""

from __future__ import annotations

import math
import random


def should_refresh_early(now: float, expiry: float, delta: float, beta: float, rng: random.Random) -> bool:
    if delta <= 0.0 or beta <= 0.0:
        return now >= expiry
    u = 1.0 - rng.random()  # random() is in [0, 1); this is (0, 1], so ln(u) is finite
    return now - delta * beta * math.log(u) >= expiry


def refresh_probability(time_left: float, delta: float, beta: float) -> float:
    """The chance that one read at ``time_left`` before expiry decides to recompute."""
    if time_left <= 0:
        return 1.0
    return math.exp(-time_left / (beta * delta))


def refresh_lease_ms(delta: float, floor_ms: int = 50) -> int:
    """Refresh lease length: twice the recompute time, so the lease outlives the recompute it guards."""
    return max(floor_ms, int(2000 * delta))
