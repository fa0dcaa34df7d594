"""Cache keys: templates checked against a function's signature, and the auxiliary keys of each entry.

A template such as ``"user:{user_id}"`` is validated once, when a decorator is applied: every field must
name a parameter of the function, or the decorator raises ``KeyTemplateError`` naming the missing one.
Auxiliary keys (lease, refresh lease, wake list) append a suffix to the entry's key, so a hash tag in the
entry key (``user:{42}``) keeps them on the entry's cluster slot.
"""

from __future__ import annotations

import inspect
import string
from collections.abc import Callable
from typing import Any

_FORMATTER = string.Formatter()


class KeyTemplateError(ValueError):
    """A key template names something the decorated function does not take."""


def template_fields(template: str) -> list[str]:
    """The parameter names a template uses (``{user.id}`` and ``{ids[0]}`` use ``user`` and ``ids``)."""
    fields = []
    for _, field, _, _ in _FORMATTER.parse(template):
        if field is None:
            continue
        if field == "" or field[0].isdigit():
            raise KeyTemplateError(f"key template {template!r} must name parameters, not positions")
        base = field.split(".", 1)[0].split("[", 1)[0]
        if base not in fields:
            fields.append(base)
    return fields


class KeyBuilder:
    """Turns a call's arguments into its cache key, from a template or, without one, from all arguments."""

    __slots__ = ("signature", "template", "prefix", "_simple")

    def __init__(self, func: Callable[..., Any], template: str | None, prefix: str = "") -> None:
        self.signature = inspect.signature(func)
        self.template = template
        self.prefix = prefix
        params = self.signature.parameters
        if template is not None:
            for name in template_fields(template):
                if name not in params:
                    raise KeyTemplateError(
                        f"key template {template!r} uses {{{name}}}, but {func.__qualname__}{self.signature} "
                        f"has no parameter {name!r}"
                    )
        # The common case, every parameter passed by keyword or position and no defaults to fill, skips bind().
        self._simple = all(
            p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY) and p.default is p.empty for p in params.values()
        )

    def build(self, args: tuple, kwargs: dict) -> str:
        bound = self.signature.bind(*args, **kwargs)
        if not self._simple:
            bound.apply_defaults()
        values = bound.arguments
        if self.template is None:
            return self.prefix + ":".join(f"{k}={values[k]!r}" for k in values)
        return self.prefix + self.template.format_map(values)


def lease_key(key: str) -> str:
    return key + ":lease"


def refresh_key(key: str) -> str:
    return key + ":refresh"


def wake_key(key: str) -> str:
    return key + ":wake"


def tag_key(tag: str) -> str:
    return "tag:" + tag


def version_key(namespace: str) -> str:
    return "ns:" + namespace + ":version"
