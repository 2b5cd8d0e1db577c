"""Pure policy: which statuses are retried and how long we wait, which registries get plain HTTP, request counting."""

import random
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest

from werf_core.registry.counter import RequestCounter, kind_of_path
from werf_core.registry.retry import RetryPolicy, is_retryable_status, parse_retry_after
from werf_core.registry.transport import is_insecure, is_loopback, split_host_port


@pytest.mark.parametrize("status, retried", [
    (429, True), (500, True), (502, True), (503, True), (504, True), (599, True),
    (501, False), (400, False), (401, False), (404, False), (200, False), (202, False),
])
def test_retryable_statuses(status, retried):
    assert is_retryable_status(status) is retried


def test_backoff_grows_exponentially_within_jitter_bounds_and_is_capped():
    policy = RetryPolicy(base_delay=0.5, max_delay=4.0, rng=random.Random(7))
    for attempt, step in enumerate([0.5, 1.0, 2.0, 4.0, 4.0, 4.0]):
        for _ in range(50):
            delay = policy.delay(attempt)
            assert step / 2 <= delay <= step


def test_jitter_spreads_waits_of_concurrent_clients():
    policy = RetryPolicy(base_delay=1.0, rng=random.Random(1))
    assert len({round(policy.delay(2), 6) for _ in range(20)}) > 10


def test_retry_after_is_honoured_but_capped():
    policy = RetryPolicy(max_delay=5.0)
    assert policy.delay(0, retry_after="2") == 2.0
    assert policy.delay(0, retry_after="120") == 5.0
    soon = format_datetime(datetime.now(UTC) + timedelta(seconds=3), usegmt=True)
    assert 1.0 <= policy.delay(0, retry_after=soon) <= 3.0


def test_parse_retry_after_forms():
    assert parse_retry_after("7") == 7.0
    assert parse_retry_after(None) is None and parse_retry_after("soon") is None
    past = format_datetime(datetime.now(UTC) - timedelta(seconds=30), usegmt=True)
    assert parse_retry_after(past) == 0.0


def test_retry_budget_is_bounded_by_count_and_total_wait():
    by_count = RetryPolicy(retries=2, base_delay=0.01)
    assert by_count.next_delay(0, 0) is not None and by_count.next_delay(1, 0) is not None
    assert by_count.next_delay(2, 0) is None
    by_time = RetryPolicy(retries=100, base_delay=1.0, max_delay=1.0, max_total_delay=2.5)
    waited, attempt = 0.0, 0
    while (wait := by_time.next_delay(attempt, waited)) is not None:
        waited += wait
        attempt += 1
    assert waited <= 2.5 and attempt >= 2


@pytest.mark.parametrize("registry, host, port", [
    ("127.0.0.1:5000", "127.0.0.1", "5000"), ("registry.io", "registry.io", None),
    ("[::1]:5000", "::1", "5000"), ("[::1]", "::1", None),
])
def test_split_host_port(registry, host, port):
    assert split_host_port(registry) == (host, port)


@pytest.mark.parametrize("registry, loopback", [
    ("localhost:5000", True), ("127.0.0.1:5000", True), ("127.10.0.3", True), ("[::1]:5000", True),
    ("registry.localhost", True), ("10.0.0.1:5000", False), ("registry.io", False), ("localhost.example.com", False),
])
def test_loopback_detection(registry, loopback):
    assert is_loopback(registry) is loopback


def test_insecure_registry_matching():
    listed = {"registry.internal:5000", "plain.example.com", "10.1.0.0/16"}
    assert is_insecure("registry.internal:5000", listed)
    assert not is_insecure("registry.internal:5001", listed)
    assert is_insecure("plain.example.com:8080", listed)          # a bare host covers its ports
    assert is_insecure("10.1.2.3:5000", listed)                   # IP networks, like dockerd
    assert not is_insecure("10.2.0.1", listed)
    assert is_insecure("REGISTRY.internal:5000", listed)
    assert is_insecure("anything.io", {"*"})                      # werf v1.1's boolean --insecure-registry
    assert is_insecure("127.0.0.1:5000", set())                   # loopback, as Docker does
    assert not is_insecure("127.0.0.1:5000", set(), plain_http_loopback=False)
    assert not is_insecure("registry.io", set())


def test_request_counter_counts_by_method_and_kind():
    counter = RequestCounter()
    for method, kind in [("GET", "manifest"), ("GET", "manifest"), ("HEAD", "manifest"), ("GET", "blob"),
                         ("get", "tags")]:
        counter.record(method, kind)
    assert counter.total == 5
    assert counter.count("GET") == 4 and counter.count(kind="manifest") == 3
    assert counter.count("GET", "manifest") == 2 and counter.count("DELETE") == 0
    assert counter.snapshot() == {"GET blob": 1, "GET manifest": 2, "GET tags": 1, "HEAD manifest": 1}
    counter.reset()
    assert counter.total == 0


@pytest.mark.parametrize("path, kind", [
    ("/v2/a/b/tags/list?n=10", "tags"), ("/v2/a/manifests/latest", "manifest"),
    ("/v2/a/blobs/sha256:00", "blob"), ("/v2/a/blobs/uploads/", "upload"),
    ("http://r/v2/a/blobs/uploads/uuid?_state=x&digest=sha256:1", "upload"), ("/v2/", "other"),
])
def test_kind_of_path(path, kind):
    assert kind_of_path(path) == kind
