"""redis-py 5, 6, 7 and 8 against cacheserver, over RESP2 and RESP3.

Each release is installed once into a cache folder (``pip install --target``) and driven from a
subprocess, so the versions never meet in one interpreter. The script exercises what every
application does on connect and in its first minutes: the handshake (HELLO 3 and CLIENT SETINFO on
newer releases), strings with TTLs, MGET/MSET, counters, non-transactional pipelines, SCAN, INFO.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
import redis
from helpers import IN_CI

VERSIONS = ["5.3.1", "6.4.0", "7.4.1"]
CACHE = Path(os.environ.get("CACHESERVER_TEST_CACHE", Path.home() / ".cache" / "cacheserver-tests"))

SCRIPT = r"""
import sys
import redis
port, protocol = int(sys.argv[1]), int(sys.argv[2])
r = redis.Redis(port=port, protocol=protocol)
assert r.ping() is True
r.flushdb()
assert r.set("k", "v", ex=100) is True
assert r.get("k") == b"v"
assert 0 < r.ttl("k") <= 100
assert r.set("k", "w", nx=True) is None
assert r.mset({"a": "1", "b": "2"}) is True
assert r.mget("a", "b", "missing") == [b"1", b"2", None]
assert r.incr("counter") == 1
assert r.incrby("counter", 41) == 42
assert r.incrbyfloat("f", 1.5) == 1.5
pipe = r.pipeline(transaction=False)
for i in range(100):
    pipe.set(f"p{i}", i)
pipe.get("p99")
assert pipe.execute()[-1] == b"99"
keys = set(r.scan_iter(match="p*", count=7))
assert keys == {b"p%d" % i for i in range(100)}, len(keys)
info = r.info("server")
assert info["redis_version"] == "7.0.15"
assert r.delete("a", "b", "nothing") == 2
assert r.exists("a") == 0
try:
    r.execute_command("NOSUCHCOMMAND")
except redis.ResponseError as e:
    assert str(e).startswith("unknown command 'NOSUCHCOMMAND'"), str(e)
else:
    raise AssertionError("no error")
print("ok", redis.__version__, protocol)
"""


def _install(version: str) -> Path:
    """Install once into the cache; a temporary folder renamed into place keeps parallel runs safe."""
    target = CACHE / f"redis-py-{version}"
    if (target / "redis" / "__init__.py").exists():
        return target
    CACHE.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f"redis-py-{version}-", dir=CACHE))
    proc = subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", "--target", str(staging), f"redis=={version}"],
        capture_output=True,
        text=True,
        timeout=180,
    )
    if proc.returncode != 0:
        shutil.rmtree(staging, ignore_errors=True)
        message = f"could not install redis=={version}: {proc.stderr.strip()[-500:]}"
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)
    try:
        staging.rename(target)
    except OSError:  # another worker got there first
        shutil.rmtree(staging, ignore_errors=True)
    return target


@pytest.mark.parametrize("protocol", [2, 3])
@pytest.mark.parametrize("version", VERSIONS + ["installed"])
def test_redis_py_release(target, version, protocol):
    env = dict(os.environ)
    if version == "installed":
        expected = redis.__version__
    else:
        env["PYTHONPATH"] = str(_install(version))
        expected = version
    proc = subprocess.run(
        [sys.executable, "-c", SCRIPT, str(target.port), str(protocol)],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        cwd="/",
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split() == ["ok", expected, str(protocol)]
