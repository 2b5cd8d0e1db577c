"""lockgate's lease record: key naming, JSON that werf (Go) runners read and write, expiry."""

from __future__ import annotations

import hashlib
import json

import pytest

from werf_core.sync.lease import LeaseRecord, LeaseTimings, lease_key


def test_store_key_is_lockgate_prefix_plus_sha3_224_of_the_lock_name():
    assert lease_key("stage/abc") == "lockgate.io/" + hashlib.sha3_224(b"stage/abc").hexdigest()
    # a valid Kubernetes annotation key: prefix is a DNS subdomain, name part at most 63 characters
    assert len(lease_key("x" * 1000).split("/", 1)[1]) == 56


def test_record_serializes_with_lockgate_field_names_and_order():
    record = LeaseRecord(uuid="u-1", lock_name="stage/abc", expire_at=1700000010, shared_holders=2, is_shared=True)
    assert record.to_json() == ('{"uuid":"u-1","lockName":"stage/abc","ExpireAtTimestamp":1700000010,'
                                '"SharedHoldersCount":2,"IsShared":true}')


def test_record_written_by_a_werf_runner_is_understood():
    go_json = ('{"uuid":"0b2c8a1e-7f43-4c1d-9b0a-51c4d3a9e6f2","lockName":"stage/d41d8",'
               '"ExpireAtTimestamp":1717000000,"SharedHoldersCount":1,"IsShared":false}')
    record = LeaseRecord.from_json(go_json)
    assert record == LeaseRecord("0b2c8a1e-7f43-4c1d-9b0a-51c4d3a9e6f2", "stage/d41d8", 1717000000, 1, False)
    assert json.loads(record.to_json()) == json.loads(go_json)


def test_expiry_is_whole_seconds_never_shorter_than_the_ttl():
    record = LeaseRecord.new("l", shared=False, now=1000.2, ttl=10)
    assert record.expire_at == 1011 and isinstance(record.expire_at, int)  # Go decodes it into an int64
    assert not record.expired(1010.9)
    assert not record.expired(1011.0)   # lockgate: expired only when now is *after* the expiry second
    assert record.expired(1011.01)


def test_new_leases_get_fresh_uuids_and_one_holder():
    a = LeaseRecord.new("l", shared=True, now=0, ttl=10)
    b = LeaseRecord.new("l", shared=True, now=0, ttl=10)
    assert a.uuid != b.uuid and a.shared_holders == b.shared_holders == 1 and a.is_shared


def test_renewal_moves_only_the_expiry():
    record = LeaseRecord.new("l", shared=False, now=100, ttl=10)
    renewed = record.renewed(105, 10)
    assert (renewed.uuid, renewed.shared_holders, renewed.expire_at) == (record.uuid, 1, 115)


def test_timings_default_to_lockgate_constants_and_reject_renewal_slower_than_ttl():
    t = LeaseTimings()
    assert (t.ttl, t.renew_period, t.poll_period, t.optimistic_retry) == (10, 3, 2, 1)
    with pytest.raises(ValueError, match="shorter than its TTL"):
        LeaseTimings(ttl=2, renew_period=2)
