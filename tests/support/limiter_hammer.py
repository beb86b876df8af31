"""Run in a separate OS process: take N slots of a shared limiter, log when each was granted.

python -m tests.support.limiter_hammer REDIS_URL KEY KIND COUNT LIMIT WINDOW_SECONDS
"""

from __future__ import annotations

import asyncio
import sys

import redis.asyncio as aioredis

from shared.state.limiter import RateLimiter, RateWindow


async def hammer(url: str, key: str, kind: str, count: int, limit: int, window: float) -> None:
    redis = aioredis.Redis.from_url(url, decode_responses=True)
    limiter = RateLimiter(
        redis,
        key,
        windows=[RateWindow(limit, window)],
        margin=0.0,
        max_wait={"submit": 60.0, "poll": 60.0},
    )
    for _ in range(count):
        granted_at = await limiter.acquire("submit" if kind == "submit" else "poll")
        await redis.rpush(f"{key}:granted", f"{granted_at:.6f} {kind}")
    await redis.aclose()


if __name__ == "__main__":
    url, key, kind, count, limit, window = sys.argv[1:7]
    asyncio.run(hammer(url, key, kind, int(count), int(limit), float(window)))
