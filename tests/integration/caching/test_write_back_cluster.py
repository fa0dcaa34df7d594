"""Write-back on a real 3-node Redis Cluster: every script stays on one partition's slot, partitions spread
over the nodes, the flusher reads them one by one; sync and asyncio cluster clients."""

from __future__ import annotations

import asyncio

from redis.asyncio.cluster import RedisCluster as AsyncRedisCluster
from redis.cluster import RedisCluster

from cacheserver.caching.write_back import AsyncFlusher, AsyncWriteBack, Flusher, SQLiteStore, WriteBack

FAST = dict(partitions=6, block_ms=30, lease_ms=300, min_idle_ms=40)


def _client(cluster) -> RedisCluster:
    client = RedisCluster(host="127.0.0.1", port=cluster.ports[0])
    client.flushall()
    return client


class PoisonStore(SQLiteStore):
    def apply(self, writes) -> None:
        if any(w.key == "poison" for w in writes):
            raise ValueError("refused")
        super().apply(writes)


def test_write_back_across_the_cluster(cluster, tmp_path) -> None:
    client = _client(cluster)
    store = PoisonStore(str(tmp_path / "store.db"), history=True)
    wb = WriteBack(client, store, partitions=6, clean_ttl=30)
    assert wb.cluster
    layout = wb.layout
    slots = {client.keyslot(layout.stream(p)) for p in range(6)}
    nodes = {client.get_node_from_key(layout.stream(p)).port for p in range(6)}
    assert len(slots) == 6 and len(nodes) >= 2  # the partitions really live on different nodes
    for p in range(6):  # a partition's keys share its slot, whatever braces the user key has
        assert {client.keyslot(k) for k in (layout.dlq(p), layout.owner(p), layout.entry("u:{9}", p))} == {
            client.keyslot(layout.stream(p))}
    keys = [f"user:{{{i}}}" for i in range(24)]
    ids = {k: [wb.write(k, v) for v in (1, 2)] for k in keys}
    wb.delete(keys[0])
    wb.write("poison", 1)
    flusher = Flusher(client, store, coalesce=False, max_attempts=2, clean_ttl=30, **FAST)
    backlog = flusher.drain(10)
    assert backlog.length == 0 and backlog.dead_letters == 1
    assert store.items() == {k: 2 for k in keys[1:]}
    assert all([sid for *_, sid in store.history_of(k)] == ids[k] for k in keys[1:])
    assert all(0 < client.pttl(layout.entry(k)) <= 30_000 for k in keys)
    assert flusher.stats.applied == 49 and flusher.stats.dead_lettered == 1
    assert wb.read(keys[0]) is None and wb.read(keys[5]) == 2 and wb.read("poison") is None
    flusher.close()
    client.close()


def test_asyncio_cluster_client(cluster, tmp_path) -> None:
    _client(cluster).close()
    store = SQLiteStore(str(tmp_path / "store.db"))

    async def main() -> tuple:
        client = AsyncRedisCluster(host="127.0.0.1", port=cluster.ports[0])
        wb = AsyncWriteBack(client, store, partitions=6)
        for i in range(12):
            await wb.write(f"k{i}", i)
        flusher = AsyncFlusher(client, store, **FAST)
        backlog = await flusher.drain(10)
        await flusher.close()
        value = await wb.read("k7")
        await client.aclose()
        return backlog.length, value, flusher.stats.applied

    assert asyncio.run(main()) == (0, 7, 12)
    assert store.items() == {f"k{i}": i for i in range(12)}
