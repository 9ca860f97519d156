"""Per-key rate limits: a token bucket per project key, kept in this process.

Each process enforces the key's limit on its own share of traffic; with N server
processes a key may briefly get up to N times its limit. That trade keeps a database
round trip off every request.
"""

from __future__ import annotations

import math


class TokenBuckets:
    def __init__(self) -> None:
        self._buckets: dict[int, tuple[float, float]] = {}

    def take(self, key_id: int, count: int, window: int, now: float, cost: int = 1) -> float:
        """Spend ``cost`` tokens; return 0 if allowed, else seconds until it would be."""
        rate = count / window
        tokens, stamp = self._buckets.get(key_id, (float(count), now))
        tokens = min(float(count), tokens + (now - stamp) * rate)
        if tokens >= cost:
            self._buckets[key_id] = (tokens - cost, now)
            return 0.0
        self._buckets[key_id] = (tokens, now)
        return max(1.0, math.ceil((cost - tokens) / rate))
