"""Redis connections: the real server at ``REDIS_URL``, or an in-process stand-in.

Two clients share one server: ``redis`` decodes replies to ``str`` for our own keys; ``arq``
is the job queue's client (it stores pickled jobs, so it must see bytes).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import redis.asyncio as aioredis
from arq.connections import ArqRedis
from redis.asyncio.client import Pipeline

__all__ = ["RedisConnections", "connect_redis"]

log = logging.getLogger(__name__)

_announced_embedded = False


@dataclass
class RedisConnections:
    """The two clients of one Redis server, and whether it is the embedded one."""

    redis: aioredis.Redis
    arq: ArqRedis
    embedded: bool
    new_arq: Callable[[], ArqRedis]
    """Another job-queue client on the same server (an arq worker closes its own on exit)."""

    async def ping(self) -> bool:
        """True when Redis answers."""
        try:
            return bool(await self.redis.ping())
        except (aioredis.RedisError, OSError):
            return False

    async def aclose(self) -> None:
        """Close both clients' pools."""
        await self.redis.aclose()
        await self.arq.aclose()


def connect_redis(redis_url: str | None) -> RedisConnections:
    """Clients for ``redis_url``; ``None`` gives an in-process store (announced once).

    Nothing is sent until first use, so this never blocks or fails at start-up.
    """
    if redis_url:
        options: dict[str, Any] = {
            "socket_timeout": 5.0,
            "socket_connect_timeout": 5.0,
            "health_check_interval": 30,
            "retry_on_timeout": True,
        }

        def new_arq() -> ArqRedis:
            client: ArqRedis = ArqRedis.from_url(redis_url, **options)
            return client

        return RedisConnections(
            redis=aioredis.Redis.from_url(redis_url, decode_responses=True, **options),
            arq=new_arq(),
            embedded=False,
            new_arq=new_arq,
        )
    return _embedded()


class _EmbeddedPipeline(Pipeline):
    """A pipeline on the in-process store, which has no ``INFO`` command.

    An arq worker reads ``INFO`` as it starts, only to log the server's version and memory:
    here that reads as an empty mapping, which arq logs as ``?``.
    """

    def info(self, section: str | None = None, *args: list[str], **kwargs: Any) -> Any:
        return self.hgetall("leads:embedded:no-info")


class _EmbeddedArqRedis(ArqRedis):
    """The job queue's client on the in-process store (see :class:`_EmbeddedPipeline`)."""

    def pipeline(self, transaction: bool = True, shard_hint: str | None = None) -> Any:
        return _EmbeddedPipeline(
            self.connection_pool, self.response_callbacks, transaction, shard_hint
        )


def _embedded() -> RedisConnections:
    # Imported here: only the embedded mode needs fakeredis (and its Lua runtime).
    import fakeredis
    from fakeredis.aioredis import FakeAsyncRedisConnection

    global _announced_embedded
    if not _announced_embedded:
        _announced_embedded = True
        log.warning(
            "REDIS_URL is not set: using an in-process store. It serves this one process "
            "only and keeps nothing after exit; set REDIS_URL to share state and survive "
            "restarts."
        )
    server = fakeredis.FakeServer()

    def new_arq() -> ArqRedis:
        pool = aioredis.ConnectionPool(
            connection_class=FakeAsyncRedisConnection,
            server=server,
        )
        return _EmbeddedArqRedis(connection_pool=pool)

    return RedisConnections(
        redis=fakeredis.FakeAsyncRedis(server=server, decode_responses=True),
        arq=new_arq(),
        embedded=True,
        new_arq=new_arq,
    )
