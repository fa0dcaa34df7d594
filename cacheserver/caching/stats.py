"""Counters of what the cache did: hits, misses, loads, load failures, load time, stale served.

Read them as attributes, as a dict (``as_dict``), or as Prometheus text (``prometheus``). Increments are
plain integer additions: under the GIL a lost update needs a thread switch inside ``+=``, which makes the
counters approximate under heavy threading and exact otherwise; they are for dashboards, not accounting.
"""

from __future__ import annotations

from dataclasses import dataclass, fields


@dataclass
class CacheStats:
    hits: int = 0
    misses: int = 0
    loads: int = 0
    load_failures: int = 0
    load_seconds: float = 0.0
    stale_served: int = 0
    early_refreshes: int = 0
    lease_waits: int = 0
    cache_errors: int = 0
    bypassed: int = 0  # calls that skipped the cache while the breaker was open
    rejected: int = 0  # entries refused by the codec (bad signature)

    def as_dict(self) -> dict[str, float]:
        return {f.name: getattr(self, f.name) for f in fields(self)}

    def prometheus(self, prefix: str = "cacheserver_caching", labels: str = "") -> str:
        label = "{" + labels + "}" if labels else ""
        lines = []
        for name, value in self.as_dict().items():
            metric = f"{prefix}_{name}" + ("" if name.endswith("seconds") else "_total")
            lines.append(f"# TYPE {metric} counter")
            lines.append(f"{metric}{label} {value}")
        return "\n".join(lines) + "\n"

    def reset(self) -> None:
        for f in fields(self):
            setattr(self, f.name, f.default)
