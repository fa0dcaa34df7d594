"""The import rules of docs/architecture.md, checked on every run instead of remembered.

- ``protocol`` imports nothing of ours but ``errors``, ``numbers`` and the C extension ``_speedups``
  (a leaf: it imports nothing of ours);
- ``types`` imports only ``errors`` and ``numbers``;
- ``keyspace`` never imports ``network``, ``pubsub`` (except its glob matcher), ``commands`` or ``server``;
- ``caching`` imports nothing from the server side.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "cacheserver"

RULES = {
    "protocol": {
        "allowed": {"cacheserver.errors", "cacheserver.numbers", "cacheserver.protocol", "cacheserver._speedups"}
    },
    "types": {"allowed": {"cacheserver.errors", "cacheserver.numbers", "cacheserver.types"}},
    "keyspace": {
        "forbidden": {
            "cacheserver.network",
            "cacheserver.commands",
            "cacheserver.server",
            "cacheserver.pubsub.hub",
        }
    },
    "caching": {"allowed": {"cacheserver.caching"}},
}


def imports_of(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return {n for n in names if n == "cacheserver" or n.startswith("cacheserver.")}


def _modules(layer: str) -> list[Path]:
    return sorted((PACKAGE / layer).rglob("*.py"))


@pytest.mark.parametrize("layer", sorted(RULES))
def test_layer_imports(layer: str) -> None:
    rule = RULES[layer]
    violations = []
    for path in _modules(layer):
        for name in imports_of(path):
            if "allowed" in rule and not any(name == a or name.startswith(a + ".") for a in rule["allowed"]):
                violations.append(f"{path.relative_to(PACKAGE)} imports {name}")
            if any(name == f or name.startswith(f + ".") for f in rule.get("forbidden", ())):
                violations.append(f"{path.relative_to(PACKAGE)} imports {name}")
    assert violations == []


def test_every_layer_has_modules() -> None:
    """Guards the check itself: a renamed folder must not make the rules silently vacuous."""
    for layer in ("protocol", "keyspace"):
        assert _modules(layer), layer
