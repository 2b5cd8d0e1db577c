"""lockgate's lease record and timing constants, byte-compatible with werf v1.1 runners.

A distributed lock is one record in an optimistic-concurrency store under the key `lockgate.io/<sha3-224(name)>`
(hashed because Kubernetes annotation keys are restricted). The value is JSON with lockgate's field names:
`{"uuid","lockName","ExpireAtTimestamp","SharedHoldersCount","IsShared"}` — the expiry is whole Unix seconds,
because Go decodes it into an int64 and would reject a fraction.
"""

from __future__ import annotations

import json
import math
import uuid as uuid_module
from dataclasses import dataclass, replace

from werf_core.errors import LockError
from werf_core.hashing import sha3_224_hash

KEY_PREFIX = "lockgate.io/"


@dataclass(frozen=True)
class LeaseTimings:
    """lockgate's constants (seconds). Tests shrink them; production keeps the defaults so werf runners agree."""

    ttl: float = 10.0              # a lease not renewed for this long may be taken over
    renew_period: float = 3.0      # how often the holder renews its lease
    poll_period: float = 2.0       # how often a waiter retries
    optimistic_retry: float = 1.0  # pause after losing a compare-and-swap race

    def __post_init__(self) -> None:
        if self.renew_period >= self.ttl:
            raise ValueError(f"lease renew period {self.renew_period}s must be shorter than its TTL {self.ttl}s")


def lease_key(lock_name: str) -> str:
    return KEY_PREFIX + sha3_224_hash(lock_name)


@dataclass(frozen=True)
class LeaseRecord:
    uuid: str
    lock_name: str
    expire_at: int
    shared_holders: int
    is_shared: bool

    @classmethod
    def new(cls, lock_name: str, *, shared: bool, now: float, ttl: float) -> LeaseRecord:
        return cls(uuid=str(uuid_module.uuid4()), lock_name=lock_name, expire_at=expire_time(now, ttl),
                   shared_holders=1, is_shared=shared)

    def expired(self, now: float) -> bool:
        # lockgate: time.Now().After(time.Unix(ExpireAtTimestamp, 0))
        return now > self.expire_at

    def renewed(self, now: float, ttl: float) -> LeaseRecord:
        return replace(self, expire_at=expire_time(now, ttl))

    def with_holders(self, count: int) -> LeaseRecord:
        return replace(self, shared_holders=count)

    def one_holder_less(self) -> LeaseRecord | None:
        """The record after one holder gave it back; None (delete it) when that was the last one."""
        return self.with_holders(self.shared_holders - 1) if self.shared_holders > 1 else None

    def renewed_by_another(self, now: float, timings: LeaseTimings) -> bool:
        """A shared lease another holder renewed within the last half renewal period: one holder's renewal keeps it
        alive for all, so six runners sharing a stage's lease need not all write it every period."""
        return (self.is_shared and self.shared_holders > 1
                and self.expire_at - now > timings.ttl - timings.renew_period / 2)

    def to_json(self) -> str:
        # field order and names as Go's encoding/json writes lockgate's LockLeaseRecord
        return json.dumps({"uuid": self.uuid, "lockName": self.lock_name, "ExpireAtTimestamp": self.expire_at,
                           "SharedHoldersCount": self.shared_holders, "IsShared": self.is_shared},
                          separators=(",", ":"))

    @classmethod
    def from_json(cls, text: str) -> LeaseRecord:
        data = json.loads(text)
        return cls(uuid=str(data.get("uuid", "")), lock_name=str(data.get("lockName", "")),
                   expire_at=int(data.get("ExpireAtTimestamp", 0)),
                   shared_holders=int(data.get("SharedHoldersCount", 0)), is_shared=bool(data.get("IsShared")))


def expire_time(now: float, ttl: float) -> int:
    # round up, so a lease never lasts less than the TTL although the record keeps whole seconds
    return math.ceil(now + ttl)


def parse_lease_record(name: str, key: str, where: str, data: str) -> LeaseRecord | None:
    """The lease record stored under `key` (in `where`, for the message) for lock `name`; None when there is none.
    A record that is not ours to read is one clear error naming the entry to remove."""
    if not data:
        return None
    try:
        return LeaseRecord.from_json(data)
    except (ValueError, TypeError, AttributeError) as err:
        raise LockError(f'The lease record of lock "{name}" ({key} in {where}) is not valid JSON: {err}',
                        hint=f"Remove the {key} entry so the lock can be taken again.") from None


def lease_to_take(current: LeaseRecord | None, name: str, *, shared: bool, now: float,
                  ttl: float) -> LeaseRecord | None:
    """lockgate's acquisition rule: a new lease over a missing or expired record, the live shared lease joined (one
    holder more) when we want it shared too; None when the caller must wait."""
    if current is None or current.expired(now):
        return LeaseRecord.new(name, shared=shared, now=now, ttl=ttl)
    if shared and current.is_shared:
        return current.with_holders(current.shared_holders + 1).renewed(now, ttl)
    return None
