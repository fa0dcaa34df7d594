"""Write-back's pure logic: key layout, coalescing, per-key order under failures, dead-letter decisions,
idempotent applies in the SQLite reference store, reply parsing and the eviction-policy check."""

from __future__ import annotations

import warnings

import pytest
import redis

from cacheserver.caching import MISS, JsonCodec
from cacheserver.caching.codecs import encode_entry
from cacheserver.caching.flows import run_sync
from cacheserver.caching.write_back import (
    DELETE,
    SET,
    EvictionPolicyWarning,
    Flusher,
    Layout,
    Record,
    SQLiteStore,
    StoreWrite,
    WriteBack,
    dead_letter_due,
    parse_id,
    parse_read,
    plan_writes,
)

CODEC = JsonCodec()


def rec(rid: str, key: str, value: object = None, op: str = SET, deliveries: int = 1) -> Record:
    return Record(rid, key, op, encode_entry(CODEC, value, 0.0, 0.0, negative=op == DELETE), deliveries)


def test_layout_keeps_a_key_and_its_partition_on_one_hash_tag() -> None:
    layout = Layout("wb", 4)
    assert layout.partition("user:42") == 2 and layout.partition("a") == 3  # CRC32: the same in every process
    assert layout.stream(3) == "wb:{p3}:stream" and layout.dlq(3) == "wb:{p3}:dlq"
    assert layout.owner(3) == "wb:{p3}:owner"
    assert layout.entry("a") == "wb:{p3}:e:a"
    assert layout.entry("user:{42}") == f"wb:{{p{layout.partition('user:{42}')}}}:e:user:{{42}}"  # first tag wins
    with pytest.raises(ValueError):
        Layout("wb", 0)


def test_stream_ids_compare_as_numbers() -> None:
    assert parse_id("1700000000000-12") == (1700000000000, 12)
    assert parse_id(b"5-0") < parse_id("5-1") < parse_id("10-0")  # not string order: "10-0" < "5-1"


def test_coalescing_keeps_the_last_write_per_key_in_stream_order() -> None:
    records = [rec("1-0", "a", 1), rec("1-1", "b", 1, deliveries=2), rec("2-0", "a", 2), rec("3-0", "b", op=DELETE)]
    writes = plan_writes(records, CODEC)
    assert writes == [
        StoreWrite("a", SET, 2, "2-0", ("1-0", "2-0"), 1),
        StoreWrite("b", DELETE, None, "3-0", ("1-1", "3-0"), 2),
    ]
    assert [(w.key, w.value, w.record_ids) for w in plan_writes(records, CODEC, coalesce=False)] == [
        ("a", 1, ("1-0",)), ("b", 1, ("1-1",)), ("a", 2, ("2-0",)), ("b", None, ("3-0",))]


def test_an_undecodable_record_becomes_a_failing_write() -> None:
    writes = plan_writes([Record("1-0", "a", SET, b"garbage"), Record("2-0", "b", "incr", b"")], CODEC)
    assert writes[0].error == "undecodable entry (unknown format or codec, or corrupt payload)"
    assert writes[1].error == "unknown op 'incr'"


def test_dead_letter_after_max_attempts() -> None:
    assert [dead_letter_due(n, 3) for n in (1, 2, 3, 4)] == [False, False, True, True]


class FlakyStore:
    """Fails every write of a poison (key, value); records the applied batches."""

    def __init__(self, poison: tuple[str, object]) -> None:
        self.poison = poison
        self.batches: list[list[tuple[str, object]]] = []

    def apply(self, writes) -> None:
        if any((w.key, w.value) == self.poison for w in writes):
            raise RuntimeError("constraint violated")
        self.batches.append([(w.key, w.value) for w in writes])


def _apply(store: FlakyStore, records: list[Record], coalesce: bool = False):
    flusher = Flusher(FakeClient("noeviction"), store, max_attempts=3, coalesce=coalesce)
    return run_sync(flusher.apply_flow(plan_writes(records, CODEC, coalesce)), None)


def test_a_failing_write_holds_back_later_writes_of_its_key_only() -> None:
    store = FlakyStore(("a", 1))
    records = [rec("1-0", "a", 1), rec("2-0", "b", 1), rec("3-0", "a", 2), rec("4-0", "c", 1)]
    outcome = _apply(store, records)
    assert store.batches == [[("b", 1)], [("c", 1)]]  # the whole batch failed, then one by one
    assert [w.stream_id for w in outcome.done] == ["2-0", "4-0"]
    assert [w.stream_id for w in outcome.retry] == ["1-0", "3-0"]  # "a"=2 never overtakes "a"=1
    assert outcome.dead == [] and outcome.store_calls == 2


def test_after_max_attempts_the_poison_is_dead_lettered_and_its_key_moves_on() -> None:
    store = FlakyStore(("a", 1))
    records = [rec("1-0", "a", 1, deliveries=3), rec("3-0", "a", 2, deliveries=3)]
    outcome = _apply(store, records)
    assert [(w.stream_id, reason) for w, reason in outcome.dead] == [("1-0", "RuntimeError: constraint violated")]
    assert store.batches == [[("a", 2)]] and outcome.retry == []


def test_a_clean_batch_is_one_store_call() -> None:
    store = FlakyStore(("x", 0))
    outcome = _apply(store, [rec("1-0", "a", 1), rec("2-0", "a", 2), rec("3-0", "b", 3)], coalesce=True)
    assert store.batches == [[("a", 2), ("b", 3)]] and outcome.store_calls == 1


def test_sqlite_store_applies_each_stream_id_once(tmp_path) -> None:
    store = SQLiteStore(str(tmp_path / "s.db"), history=True)
    w5 = StoreWrite("k", SET, {"v": 5}, "10-5", ("10-5",))
    store.apply([w5])
    store.apply([w5, StoreWrite("k", SET, {"v": 3}, "10-3", ("10-3",))])  # replayed and older: no-ops
    assert store.load("k") == {"v": 5} and store.checkpoint("k") == "10-5" and store.skipped == 2
    store.apply([StoreWrite("k", DELETE, None, "11-0", ("11-0",)), StoreWrite("j", SET, 1, "11-1", ("11-1",))])
    assert store.load("k") is MISS and store.checkpoint("k") == "11-0"  # the tombstone keeps the checkpoint
    store.apply([w5])
    assert store.load("k") is MISS and store.items() == {"j": 1}
    assert store.history_of("k") == [("k", SET, {"v": 5}, "10-5"), ("k", DELETE, None, "11-0")]
    store.close()


def test_sqlite_store_rolls_back_a_failed_batch(tmp_path) -> None:
    store = SQLiteStore(str(tmp_path / "s.db"))
    with pytest.raises(TypeError):
        store.apply([StoreWrite("a", SET, 1, "1-0", ("1-0",)), StoreWrite("b", SET, object(), "1-1", ("1-1",))])
    assert store.items() == {} and store.checkpoint("a") is None
    store.close()


def test_xreadgroup_replies_in_resp2_and_resp3_shapes() -> None:
    entry = (b"1-0", {b"k": b"a", b"op": b"set", b"v": b"x"})
    assert parse_read([[b"wb:{p0}:stream", [entry]]]) == {"wb:{p0}:stream": [("1-0", entry[1])]}
    assert parse_read({b"wb:{p0}:stream": [[entry]]}) == {"wb:{p0}:stream": [("1-0", entry[1])]}
    assert parse_read(None) == {}


class FakeClient(redis.Redis):
    """Answers EVALSHA with a stream ID and CONFIG GET with ``policy`` (or refuses it)."""

    def __init__(self, policy: str | None) -> None:
        self.policy = policy
        self.calls: list[str] = []

    def get_connection_kwargs(self) -> dict:
        return {}

    def config_get(self, pattern: str = "*", *args: object) -> dict:
        self.calls.append("config_get")
        if self.policy is None:
            raise redis.ResponseError("NOPERM this user has no permissions to run the 'config|get' command")
        return {"maxmemory-policy": self.policy}

    def evalsha(self, sha: str, numkeys: int, *keys_and_args: object) -> bytes:
        self.calls.append("evalsha")
        return b"7-0"


@pytest.mark.parametrize(("policy", "warned"), [("allkeys-lru", True), ("volatile-lru", False),
                                                ("noeviction", False), (None, False)])
def test_eviction_policy_is_checked_once_and_never_fails(policy: str | None, warned: bool) -> None:
    client = FakeClient(policy)
    wb = WriteBack(client)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert wb.write("a", 1) == "7-0" and wb.delete("a") == "7-0"
    assert [w.category for w in caught] == ([EvictionPolicyWarning] if warned else [])
    assert client.calls == ["config_get", "evalsha", "evalsha"]
    assert WriteBack(FakeClient("allkeys-lru"), check_eviction_policy=False).write("a", 1) == "7-0"


def test_clients_that_decode_responses_are_refused() -> None:
    with pytest.raises(ValueError, match="decode_responses"):
        WriteBack(redis.Redis(decode_responses=True))


class PendingClient(FakeClient):
    """Canned replies for a partition with pending records: what XAUTOCLAIM could claim and the pending list."""

    def __init__(self, claimable: list[str], pending: list[tuple[str, int]]) -> None:
        super().__init__("noeviction")
        self.claimable = claimable
        self.pending = pending
        self.scripts: list[tuple] = []

    def xpending(self, name: str, group: str) -> dict:
        return {"pending": len(self.pending), "min": self.pending[0][0].encode()}

    def xautoclaim(self, name, group, consumer, min_idle, start, count=None) -> list:
        fields = {b"k": b"a", b"op": b"set"}
        return [b"0-0", [(rid.encode(), {**fields, b"v": rec(rid, "a", rid).raw}) for rid in self.claimable], []]

    def xpending_range(self, name, group, lo, hi, count) -> list:
        return [{"message_id": rid.encode(), "consumer": b"x", "times_delivered": n} for rid, n in self.pending]

    def evalsha(self, sha: str, numkeys: int, *keys_and_args: object) -> list:
        self.scripts.append(keys_and_args)
        return [1, 1]


def _recover(client: PendingClient, store: FlakyStore) -> tuple[int, bool]:
    flusher = Flusher(client, store, max_attempts=3, coalesce=False)
    flusher.suspect.add(0)
    return run_sync(flusher.recover_flow(0), client)


def test_reclaimed_records_never_overtake_an_older_pending_one() -> None:
    # "1-0" is pending but not idle yet (its owner may be alive): the claimed "2-0" must wait for it.
    client = PendingClient(["2-0"], [("1-0", 1), ("2-0", 2)])
    store = FlakyStore(("x", 0))
    assert _recover(client, store) == (0, False)
    assert store.batches == [] and client.scripts == []


def test_reclaimed_records_carry_their_delivery_count_to_the_dead_letter_decision() -> None:
    client = PendingClient(["1-0", "2-0"], [("1-0", 3), ("2-0", 2)])
    store = FlakyStore(("a", "1-0"))  # the value of record "1-0" is poison
    assert _recover(client, store) == (2, False)
    assert store.batches == [[("a", "2-0")]]
    [args] = client.scripts
    # stream, dlq, the entry; then group, 1 acked, 1 dead, ttl, the acked id, the dead record, the entry's id.
    assert args[:3] == ("wb:{p0}:stream", "wb:{p0}:dlq", "wb:{p0}:e:a")
    assert args[3:9] == ("flushers", 1, 1, 300_000, "2-0", "1-0")
    assert args[10:] == ("set", rec("1-0", "a", "1-0").raw, 3, "RuntimeError: constraint violated", "2-0", "x")
