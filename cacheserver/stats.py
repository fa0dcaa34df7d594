"""INFO: the sections and fields of Redis 7.0's INFO, in its order, filled with this server's values.

Field names and order follow ``redis-server`` 7.0.15 exactly (clients parse them); values are ours.
Fields about machinery we do not have (allocator, fork, AOF rewrite, replication backlog) are printed
with the value Redis shows when that machinery is idle, so parsers keep working. ``used_memory`` is the
incremental estimate of ``keyspace.memory`` (dataset, clients, startup baseline), ``used_memory_rss``
the process's resident size; their ratio is ``mem_fragmentation_ratio``. Rendering happens only when INFO is called; nothing here runs per command.
"""

from __future__ import annotations

import os
import platform
import resource
import sys
import time
from collections.abc import Callable
from typing import Any

from cacheserver.keyspace import memory

# Section names in the order INFO prints them; ``default`` is what plain INFO shows.
SECTION_ORDER = (
    "server",
    "clients",
    "memory",
    "persistence",
    "stats",
    "replication",
    "cpu",
    "modules",
    "commandstats",
    "errorstats",
    "latencystats",
    "cluster",
    "keyspace",
)
DEFAULT_SECTIONS = (
    "server",
    "clients",
    "memory",
    "persistence",
    "stats",
    "replication",
    "cpu",
    "modules",
    "errorstats",
    "cluster",
    "keyspace",
)
ALL_SECTIONS = tuple(s for s in SECTION_ORDER if s != "modules")

_TITLES = {"cpu": "CPU", "commandstats": "Commandstats", "errorstats": "Errorstats", "latencystats": "Latencystats"}

Fields = list[tuple[str, Any]]


def human_bytes(n: float) -> str:
    """Redis's bytesToHuman: ``894.90K``, ``6.32M``, ``0B``."""
    n = float(n)
    for unit, scale in (("B", 1), ("K", 1024), ("M", 1024**2), ("G", 1024**3), ("T", 1024**4), ("P", 1024**5)):
        if n < scale * 1024 or unit == "P":
            return f"{int(n)}B" if unit == "B" else f"{n / scale:.2f}{unit}"
    return f"{int(n)}B"  # pragma: no cover


def process_rss() -> int:
    """Resident set size of this process in bytes (Linux /proc; getrusage peak elsewhere)."""
    try:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        return rss if sys.platform == "darwin" else rss * 1024


def _total_system_memory() -> int:
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError):
        return 0


def _server(s: Any) -> Fields:
    now = time.time()
    uptime = int(time.monotonic() - s.start_monotonic)
    uname = platform.uname()
    return [
        ("redis_version", s.redis_version),
        ("redis_git_sha1", "00000000"),
        ("redis_git_dirty", 0),
        ("redis_build_id", "0"),
        ("redis_mode", "standalone"),
        ("os", f"{uname.system} {uname.release} {uname.machine}"),
        ("arch_bits", 64 if sys.maxsize > 2**32 else 32),
        ("monotonic_clock", "POSIX clock_gettime"),
        ("multiplexing_api", "epoll" if sys.platform.startswith("linux") else "kqueue"),
        ("atomicvar_api", "c11-builtin"),
        ("gcc_version", "0.0.0"),
        ("process_id", os.getpid()),
        ("process_supervised", "no"),
        ("run_id", s.run_id),
        ("tcp_port", s.port),
        ("server_time_usec", int(now * 1_000_000)),
        ("uptime_in_seconds", uptime),
        ("uptime_in_days", uptime // 86400),
        ("hz", s.hz),
        ("configured_hz", s.config["hz"]),
        ("lru_clock", s.clock.lru),
        ("executable", os.path.abspath(sys.argv[0]) if sys.argv and sys.argv[0] else ""),
        ("config_file", s.config.source_file or ""),
        ("io_threads_active", 0),
        ("cacheserver_version", s.version),
    ]


def _clients(s: Any) -> Fields:
    clients = s.clients.values()
    return [
        ("connected_clients", len(s.clients)),
        ("cluster_connections", 0),
        ("maxclients", s.maxclients),
        ("client_recent_max_input_buffer", 0),
        ("client_recent_max_output_buffer", 0),
        ("blocked_clients", sum(1 for c in clients if c.blocked is not None and c.blocked != "paused")),
        ("tracking_clients", sum(1 for c in clients if c.tracking is not None)),
        ("clients_in_timeout_table", 0),
    ]


def _memory(s: Any) -> Fields:
    rss = process_rss()
    ev = s.evictor
    ev.refresh_if_small()
    used = ev.used_memory()
    peak = max(ev.peak, used)
    startup = ev.overhead()
    dataset = used - startup
    maxmemory = s.config["maxmemory"]
    total = _total_system_memory()
    frag = rss / used if used else 1.0
    return [
        ("used_memory", used),
        ("used_memory_human", human_bytes(used)),
        ("used_memory_rss", rss),
        ("used_memory_rss_human", human_bytes(rss)),
        ("used_memory_peak", peak),
        ("used_memory_peak_human", human_bytes(peak)),
        ("used_memory_peak_perc", "%.2f%%" % (100.0 * used / peak if peak else 100.0)),
        ("used_memory_overhead", startup),
        ("used_memory_startup", memory.STARTUP),
        ("used_memory_dataset", dataset),
        ("used_memory_dataset_perc", "%.2f%%" % (100.0 * dataset / (used - memory.STARTUP) if used > memory.STARTUP else 0.0)),
        ("allocator_allocated", used),
        ("allocator_active", used),
        ("allocator_resident", rss),
        ("total_system_memory", total),
        ("total_system_memory_human", human_bytes(total)),
        ("used_memory_lua", 0),
        ("used_memory_vm_eval", 0),
        ("used_memory_lua_human", "0B"),
        ("used_memory_scripts_eval", 0),
        ("number_of_cached_scripts", 0),
        ("number_of_functions", 0),
        ("number_of_libraries", 0),
        ("used_memory_vm_functions", 0),
        ("used_memory_vm_total", 0),
        ("used_memory_vm_total_human", "0B"),
        ("used_memory_functions", 0),
        ("used_memory_scripts", 0),
        ("used_memory_scripts_human", "0B"),
        ("maxmemory", maxmemory),
        ("maxmemory_human", human_bytes(maxmemory)),
        ("maxmemory_policy", s.config["maxmemory-policy"]),
        ("allocator_frag_ratio", "1.00"),
        ("allocator_frag_bytes", 0),
        ("allocator_rss_ratio", "1.00"),
        ("allocator_rss_bytes", 0),
        ("rss_overhead_ratio", "1.00"),
        ("rss_overhead_bytes", 0),
        ("mem_fragmentation_ratio", "%.2f" % frag),
        ("mem_fragmentation_bytes", rss - used),
        ("mem_not_counted_for_evict", 0),
        ("mem_replication_backlog", 0),
        ("mem_total_replication_buffers", 0),
        ("mem_clients_slaves", 0),
        ("mem_clients_normal", 0),
        ("mem_cluster_links", 0),
        ("mem_aof_buffer", 0),
        ("mem_allocator", "libc"),
        ("active_defrag_running", 0),
        ("lazyfree_pending_objects", 0),
        ("lazyfreed_objects", 0),
    ]


def _persistence(s: Any) -> Fields:
    return [
        ("loading", 0),
        ("async_loading", 0),
        ("current_cow_peak", 0),
        ("current_cow_size", 0),
        ("current_cow_size_age", 0),
        ("current_fork_perc", "0.00"),
        ("current_save_keys_processed", 0),
        ("current_save_keys_total", 0),
        ("rdb_changes_since_last_save", s.keyspace.dirty),
        ("rdb_bgsave_in_progress", 0),
        ("rdb_last_save_time", s.last_save),
        ("rdb_last_bgsave_status", "ok"),
        ("rdb_last_bgsave_time_sec", -1),
        ("rdb_current_bgsave_time_sec", -1),
        ("rdb_saves", 0),
        ("rdb_last_cow_size", 0),
        ("rdb_last_load_keys_expired", 0),
        ("rdb_last_load_keys_loaded", 0),
        ("aof_enabled", 1 if s.config["appendonly"] else 0),
        ("aof_rewrite_in_progress", 0),
        ("aof_rewrite_scheduled", 0),
        ("aof_last_rewrite_time_sec", -1),
        ("aof_current_rewrite_time_sec", -1),
        ("aof_last_bgrewrite_status", "ok"),
        ("aof_rewrites", 0),
        ("aof_rewrites_consecutive_failures", 0),
        ("aof_last_write_status", "ok"),
        ("aof_last_cow_size", 0),
        ("module_fork_in_progress", 0),
        ("module_fork_last_cow_size", 0),
    ]


def _rate(samples: Any) -> float:
    """Per-second rate over the cron's recent (time, counter) samples."""
    if len(samples) < 2:
        return 0.0
    (t0, v0), (t1, v1) = samples[0], samples[-1]
    return (v1 - v0) / (t1 - t0) if t1 > t0 else 0.0


def total_commands(s: Any) -> int:
    return sum(spec.calls for spec in s.table.all_specs())


def _stats(s: Any) -> Fields:
    st = s.stats
    ks = s.keyspace
    pubsub = getattr(s, "pubsub", None)
    return [
        ("total_connections_received", st.total_connections_received),
        ("total_commands_processed", total_commands(s)),
        ("instantaneous_ops_per_sec", int(_rate(st.ops_samples))),
        ("total_net_input_bytes", st.net_input_bytes),
        ("total_net_output_bytes", st.net_output_bytes),
        ("total_net_repl_input_bytes", 0),
        ("total_net_repl_output_bytes", 0),
        ("instantaneous_input_kbps", f"{_rate(st.in_samples) / 1024:.2f}"),
        ("instantaneous_output_kbps", f"{_rate(st.out_samples) / 1024:.2f}"),
        ("instantaneous_input_repl_kbps", "0.00"),
        ("instantaneous_output_repl_kbps", "0.00"),
        ("rejected_connections", st.rejected_connections),
        ("sync_full", 0),
        ("sync_partial_ok", 0),
        ("sync_partial_err", 0),
        ("expired_keys", ks.expired_keys),
        ("expired_stale_perc", f"{st.expired_stale_perc:.2f}"),
        ("expired_time_cap_reached_count", 0),
        ("expire_cycle_cpu_milliseconds", 0),
        ("evicted_keys", ks.evicted_keys),
        ("evicted_clients", 0),
        ("total_eviction_exceeded_time", 0),
        ("current_eviction_exceeded_time", 0),
        ("keyspace_hits", ks.hits),
        ("keyspace_misses", ks.misses),
        ("pubsub_channels", _count(pubsub, "channel_count")),
        ("pubsub_patterns", _count(pubsub, "pattern_count")),
        ("pubsubshard_channels", _count(pubsub, "shard_channel_count")),
        ("latest_fork_usec", 0),
        ("total_forks", 0),
        ("migrate_cached_sockets", 0),
        ("slave_expires_tracked_keys", 0),
        ("active_defrag_hits", 0),
        ("active_defrag_misses", 0),
        ("active_defrag_key_hits", 0),
        ("active_defrag_key_misses", 0),
        ("total_active_defrag_time", 0),
        ("current_active_defrag_time", 0),
        ("tracking_total_keys", len(s.tracking.table)),
        ("tracking_total_items", s.tracking.items),
        ("tracking_total_prefixes", len(s.tracking.prefixes)),
        ("unexpected_error_replies", 0),
        ("total_error_replies", st.total_error_replies),
        ("dump_payload_sanitizations", 0),
        ("total_reads_processed", 0),
        ("total_writes_processed", 0),
        ("io_threaded_reads_processed", 0),
        ("io_threaded_writes_processed", 0),
        ("reply_buffer_shrinks", 0),
        ("reply_buffer_expands", 0),
    ]


def _count(obj: Any, attr: str) -> int:
    if obj is None:
        return 0
    v = getattr(obj, attr, 0)
    return v() if callable(v) else v


def _replication(s: Any) -> Fields:
    return [
        ("role", "master"),
        ("connected_slaves", 0),
        ("master_failover_state", "no-failover"),
        ("master_replid", s.run_id),
        ("master_replid2", "0" * 40),
        ("master_repl_offset", 0),
        ("second_repl_offset", -1),
        ("repl_backlog_active", 0),
        ("repl_backlog_size", s.config["repl-backlog-size"]),
        ("repl_backlog_first_byte_offset", 0),
        ("repl_backlog_histlen", 0),
    ]


def _cpu(s: Any) -> Fields:
    self_usage = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    try:
        thread = resource.getrusage(resource.RUSAGE_THREAD)  # type: ignore[attr-defined]
    except (AttributeError, ValueError):
        thread = self_usage
    return [
        ("used_cpu_sys", f"{self_usage.ru_stime:.6f}"),
        ("used_cpu_user", f"{self_usage.ru_utime:.6f}"),
        ("used_cpu_sys_children", f"{children.ru_stime:.6f}"),
        ("used_cpu_user_children", f"{children.ru_utime:.6f}"),
        ("used_cpu_sys_main_thread", f"{thread.ru_stime:.6f}"),
        ("used_cpu_user_main_thread", f"{thread.ru_utime:.6f}"),
    ]


def _modules(s: Any) -> Fields:
    return []


def _commandstats(s: Any) -> list[str]:
    lines = []
    for spec in s.table.all_specs():
        if not (spec.calls or spec.rejected_calls or spec.failed_calls):
            continue
        usec = spec.total_ns // 1000
        per = usec / spec.calls if spec.calls else 0.0
        lines.append(
            f"cmdstat_{spec.fullname}:calls={spec.calls},usec={usec},usec_per_call={per:.2f},"
            f"rejected_calls={spec.rejected_calls},failed_calls={spec.failed_calls}"
        )
    return lines


def _errorstats(s: Any) -> list[str]:
    return [f"errorstat_{prefix}:count={n}" for prefix, n in s.stats.error_counts.items()]


def _latencystats(s: Any) -> list[str]:
    return []  # no per-command latency histograms yet: the section is present and empty


def _cluster(s: Any) -> Fields:
    return [("cluster_enabled", 0)]


def _keyspace(s: Any) -> list[str]:
    lines = []
    now = s.clock.now_ms
    for db in s.keyspace.dbs:
        if not db.data:
            continue
        expires = db.expires
        avg = 0
        if expires:
            # Redis keeps an estimate from the expiry cycle's samples; ours averages a bounded sample.
            total = n = 0
            for when in expires.values():
                if when > now:
                    total += when - now
                    n += 1
                if n >= 1000:
                    break
            avg = total // n if n else 0
        lines.append(f"db{db.index}:keys={len(db.data)},expires={len(expires)},avg_ttl={avg}")
    return lines


_RENDERERS: dict[str, Callable[[Any], Any]] = {
    "server": _server,
    "clients": _clients,
    "memory": _memory,
    "persistence": _persistence,
    "stats": _stats,
    "replication": _replication,
    "cpu": _cpu,
    "modules": _modules,
    "commandstats": _commandstats,
    "errorstats": _errorstats,
    "latencystats": _latencystats,
    "cluster": _cluster,
    "keyspace": _keyspace,
}


def chosen_sections(args: list[str]) -> list[str]:
    """INFO's arguments -> the sections to print, in Redis's order (unknown names print nothing)."""
    if not args:
        return list(DEFAULT_SECTIONS)
    wanted: set[str] = set()
    for a in args:
        a = a.lower()
        if a == "default":
            wanted.update(DEFAULT_SECTIONS)
        elif a == "all":
            wanted.update(ALL_SECTIONS)
        elif a == "everything":
            wanted.update(SECTION_ORDER)
        elif a in _RENDERERS:
            wanted.add(a)
    return [s for s in SECTION_ORDER if s in wanted]


def render_info(server: Any, args: list[str]) -> str:
    """The INFO text: ``# Title`` then ``field:value`` lines, a blank line between sections."""
    parts: list[str] = []
    for name in chosen_sections(args):
        rows = _RENDERERS[name](server)
        lines = [f"# {_TITLES.get(name, name.capitalize())}"]
        for row in rows:
            lines.append(row if isinstance(row, str) else f"{row[0]}:{row[1]}")
        parts.append("\r\n".join(lines) + "\r\n")
    return "\r\n".join(parts)


def reset_stats(server: Any) -> None:
    """CONFIG RESETSTAT: the counters Redis zeroes (not the keyspace, uptime or connected clients)."""
    server.stats.reset()
    ks = server.keyspace
    ks.hits = ks.misses = ks.expired_keys = ks.evicted_keys = 0
    for spec in server.table.all_specs():
        spec.calls = spec.total_ns = spec.rejected_calls = spec.failed_calls = 0
