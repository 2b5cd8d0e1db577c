"""When to try a registry request again, and how long to wait first.

Retried: 429 (rate limit), 5xx except 501 (Not Implemented will not change on retry), and transport failures
(refused connection, reset, timeout). Waits grow exponentially with "equal jitter" — half the step fixed, half random —
so many runners hitting one registry spread out instead of retrying in lock-step; `Retry-After` is honoured up to
`max_delay`. The number of retries and the summed waiting time are both bounded.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
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
        step = min(self.max_delay, self.base_delay * (2 ** attempt))
        return step / 2 + self.rng.uniform(0, step / 2)

    def next_delay(self, attempt: int, waited: float, retry_after: str | None = None) -> float | None:
        """The wait before the next attempt, or None when the retry budget (count or total time) is spent."""
        if attempt >= self.retries:
            return None
        wait = self.delay(attempt, retry_after)
        if waited + wait > self.max_total_delay:
            return None
        return wait


UPLOAD_RESTARTS = 3


def restartable(operation: Callable[[], None], *, what: str, restarts: int = UPLOAD_RESTARTS,
                base_delay: float = 0.5) -> None:
    """Run a multi-request operation (an upload session), starting it over when it fails on the way.

    Single requests are retried by the transport; this covers the session as a whole (an upload the registry lost
    after a dropped PUT, a request whose own retries ran out). Only failures that may pass are restarted: the
    registry unreachable or failing (5xx/429); a refusal (4xx) is raised at once.
    """
    from tenacity import Retrying, retry_if_exception, stop_after_attempt, wait_exponential_jitter

    def passing(err: BaseException) -> bool:
        from werf_core.registry.errors import RegistryAuthError, RegistryUnreachableError
        if isinstance(err, RegistryAuthError):
            return False
        if isinstance(err, RegistryUnreachableError):
            return True
        message = getattr(err, "message", str(err))
        return any(f"answered {code}" in message for code in ("429", "500", "502", "503", "504")) \
            or "names blobs the repository does not have" in message

    for attempt in Retrying(stop=stop_after_attempt(restarts + 1), reraise=True,
                            retry=retry_if_exception(passing),
                            wait=wait_exponential_jitter(multiplier=base_delay, max=8.0, jitter=base_delay)):
        with attempt:
            operation()
