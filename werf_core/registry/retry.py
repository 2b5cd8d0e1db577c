"""When to try a registry request again, and how long to wait first.

Retried: 429 (rate limit), 5xx except 501 (Not Implemented will not change on retry), and transport failures
(refused connection, reset, timeout). Waits grow exponentially with "equal jitter" — half the step fixed, half random —
so many runners hitting one registry spread out instead of retrying in lock-step; `Retry-After` is honoured up to
`max_delay`. The number of retries and the summed waiting time are both bounded.
"""

from __future__ import annotations

import random
import time
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime


def is_retryable_status(status: int) -> bool:
    return status == 429 or (500 <= status <= 599 and status != 501)


def parse_retry_after(value: str | None, now: float | None = None) -> float | None:
    """`Retry-After` as seconds (delta-seconds or an HTTP date); None when absent or unreadable."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when is None:
        return None
    return max(0.0, when.timestamp() - (time.time() if now is None else now))


@dataclass
class RetryPolicy:
    retries: int = 4                 # attempts after the first
    base_delay: float = 0.5          # first wait (before jitter)
    max_delay: float = 8.0           # cap of one wait
    max_total_delay: float = 30.0    # cap of all waits for one request
    rng: random.Random = field(default_factory=random.Random, repr=False)

    def delay(self, attempt: int, retry_after: str | None = None) -> float:
        """Seconds to wait before retry number `attempt + 1` (attempt counts from 0)."""
        hinted = parse_retry_after(retry_after)
        if hinted is not None:
            return min(hinted, self.max_delay)
        step = min(self.max_delay, self.base_delay * (2.0 ** attempt))
        return step / 2 + self.rng.uniform(0, step / 2)

    def next_delay(self, attempt: int, waited: float, retry_after: str | None = None) -> float | None:
        """The wait before the next attempt, or None when the retry budget (count or total time) is spent."""
        if attempt >= self.retries:
            return None
        wait = self.delay(attempt, retry_after)
        if waited + wait > self.max_total_delay:
            return None
        return wait
