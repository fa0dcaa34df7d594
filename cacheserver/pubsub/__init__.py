"""Pub/sub: channels, patterns and fan-out to subscribers; ``glob`` is the pattern matcher shared with
KEYS, SCAN MATCH and PSUBSCRIBE."""
