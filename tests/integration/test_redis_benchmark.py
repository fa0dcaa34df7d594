"""The real redis-benchmark against cacheserver and redis-server: short runs complete, without warnings,
plain and pipelined, and leave the keys that the commands it sent should leave.

These are correctness checks of what redis-benchmark needs (CONFIG GET save / appendonly at start, many
connections, pipelining); no speed is asserted here. Speed is measured by bench/redis_benchmark.py.
"""

from __future__ import annotations

import csv
import io
import subprocess

import pytest
from helpers import require_binary

TESTS = ["PING_INLINE", "PING_MBULK", "SET", "GET", "INCR", "MSET (10 keys)"]


def benchmark(target, *args: str, timeout: float = 120) -> subprocess.CompletedProcess:
    binary = require_binary("redis-benchmark")
    result = subprocess.run(
        [binary, "-h", target.host, "-p", str(target.port), *args], capture_output=True, timeout=timeout
    )
    # decoded by hand: text mode would turn the progress lines' bare CRs into line ends
    result.stdout = result.stdout.decode()
    result.stderr = result.stderr.decode()
    return result


def final_lines(stdout: str) -> list[str]:
    """The last state of each carriage-return-refreshed progress line (what a terminal would show)."""
    return [line.split("\r")[-1].strip() for line in stdout.split("\n") if line.strip()]


@pytest.mark.parametrize("pipeline", ["1", "16"])
def test_quick_run_completes_without_warnings(target, r, pipeline):
    result = benchmark(target, "-t", "ping,set,get,incr,mset", "-n", "2000", "-c", "20", "-P", pipeline, "-q")
    assert result.returncode == 0, result.stderr
    assert "WARNING" not in result.stdout + result.stderr
    lines = final_lines(result.stdout)
    assert [line.split(":")[0] for line in lines] == TESTS
    for line in lines:
        assert " requests per second, p50=" in line, line
    # the commands really ran: INCR hit one counter 2000 times, SET and MSET wrote the 3-byte value
    assert r.get("counter:__rand_int__") == b"2000"
    assert r.get("key:__rand_int__") == b"VXK"


def test_csv_output_has_rates_and_percentiles(target, r):
    result = benchmark(target, "-t", "ping,get", "-n", "1000", "-c", "1", "--csv")
    assert result.returncode == 0, result.stderr
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert [row["test"] for row in rows] == ["PING_INLINE", "PING_MBULK", "GET"]
    for row in rows:
        assert float(row["rps"]) > 0
        assert 0 <= float(row["p50_latency_ms"]) <= float(row["p99_latency_ms"]) <= float(row["max_latency_ms"])


def test_random_keys_and_custom_command(target, r):
    result = benchmark(target, "-n", "500", "-c", "5", "-r", "1000", "-q", "SET", "bench:__rand_int__", "x")
    assert result.returncode == 0, result.stderr
    assert "WARNING" not in result.stdout + result.stderr
    keys = r.keys("bench:*")
    assert 0 < len(keys) <= 500
    assert all(len(k) == len("bench:") + 12 for k in keys)  # __rand_int__ expands to 12 digits
