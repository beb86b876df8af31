"""Redis connections: the real server at ``REDIS_URL``, or an in-process stand-in.

Two clients share one server: ``redis`` decodes replies to ``str`` for our own keys; ``arq``
is the job queue's client (it stores jobs as bytes, so it must see bytes). The event bus's
pub/sub runs on the ``redis`` client, so TLS options given here reach every connection.

Jobs and their results are JSON (:func:`dump_job` / :func:`load_job`), never arq's default
pickle: whoever can write to Redis could otherwise run code in every process that reads the
queue. Every arq client, worker and ``Job`` of the product uses this one pair.
"""

from __future__ import annotations

import asyncio
import json
import logging
import ssl
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, TypeVar

import redis.asyncio as aioredis
from arq.connections import ArqRedis
from redis.asyncio.client import Pipeline
from redis.asyncio.retry import Retry
from redis.backoff import ExponentialBackoff
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

__all__ = [
    "REDIS_PATIENCE",
    "CertReqs",
    "RedisConnections",
    "RideOut",
    "connect_redis",
    "describe_redis_error",
    "dump_job",
    "load_job",
]

REDIS_PATIENCE = 30.0
"""Seconds a Redis command keeps retrying through a blip before it fails."""


class RideOut(Retry):
    """redis-py's retry policy for our clients: ride out a blip, fail fast on a misconfiguration.

    Reconnects 0.1, 0.2, 0.4, 0.8, 1.6, then every 2 s, until ``patience`` seconds
    (:data:`REDIS_PATIENCE`) have passed since the first failure — a deadline, not a count,
    so slow failures (a connect timeout) don't stretch it to minutes. An error no wait can
    fix (a TLS certificate that fails verification, TLS spoken to a plain server) fails at
    once, so the person setting up sees its explanation (:func:`describe_redis_error`) at
    once too.
    """

    __slots__ = ("patience",)

    def __init__(self, patience: float = REDIS_PATIENCE) -> None:
        super().__init__(ExponentialBackoff(cap=2.0, base=0.1), retries=-1)
        self.patience = patience

    async def call_with_retry(
        self, do: Callable[[], Awaitable[T]], fail: Callable[[Any], Any]
    ) -> T:
        deadline = time.monotonic() + self.patience
        failures = 0
        while True:
            try:
                return await do()
            except self._supported_errors as error:
                failures += 1
                await fail(error)
                if _permanent(error) or time.monotonic() >= deadline:
                    raise
                await asyncio.sleep(self._backoff.compute(failures))


def _permanent(error: BaseException) -> bool:
    """A connection error that waiting cannot fix: the TLS settings are wrong."""
    if isinstance(error, ssl.SSLError):
        return True
    text = str(error)
    return any(mark in text for mark in _TLS_MISCONFIGURED)


_TLS_MISCONFIGURED = (
    "CERTIFICATE_VERIFY_FAILED",
    "certificate verify failed",
    "WRONG_VERSION_NUMBER",
    "record layer failure",
)

T = TypeVar("T")

CertReqs = Literal["none", "optional", "required"]
"""How a ``rediss://`` connection checks the server's certificate (``REDIS_SSL_CERT_REQS``)."""

log = logging.getLogger(__name__)

_announced_embedded = False


def _describe_failure(value: object) -> str:
    # A job that raised leaves its exception as the result: JSON has no exceptions, so it
    # is stored as text. (Without this, arq logs a traceback and stores its own placeholder.)
    if isinstance(value, BaseException):
        return f"{type(value).__name__}: {value}"
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


def dump_job(data: dict[str, Any]) -> bytes:
    """arq's ``job_serializer``: a job or a job's result as JSON bytes."""
    return json.dumps(data, default=_describe_failure).encode()


def load_job(raw: bytes) -> dict[str, Any]:
    """arq's ``job_deserializer``: JSON only, so a planted pickle is refused, never run."""
    try:
        data = json.loads(raw)
    except ValueError as err:  # not UTF-8 or not JSON: a pickle, say
        raise ValueError("a job must be a JSON object") from err
    if not isinstance(data, dict):
        raise ValueError("a job must be a JSON object")
    return data


@dataclass
class RedisConnections:
    """The two clients of one Redis server, and whether it is the embedded one."""

    redis: aioredis.Redis
    arq: ArqRedis
    embedded: bool
    new_arq: Callable[[], ArqRedis]
    """Another job-queue client on the same server (an arq worker closes its own on exit)."""

    async def ping(self, timeout: float = 2.0) -> bool:
        """True when Redis answers within ``timeout`` seconds (no riding out blips here)."""
        try:
            async with asyncio.timeout(timeout):
                return bool(await self.redis.ping())
        except (aioredis.RedisError, OSError, TimeoutError):
            return False

    async def aclose(self) -> None:
        """Close both clients' pools."""
        await self.redis.aclose()
        await self.arq.aclose()


def connect_redis(
    redis_url: str | None,
    *,
    ssl_cert_reqs: CertReqs | None = None,
    ssl_ca_certs: str | Path | None = None,
    patience: float = REDIS_PATIENCE,
) -> RedisConnections:
    """Clients for ``redis_url``; ``None`` gives an in-process store (announced once).

    Args:
        redis_url: ``redis://`` or ``rediss://`` (TLS); ``None`` for the in-process store.
        ssl_cert_reqs: for ``rediss://``, how to check the server's certificate; ``None``
            keeps redis-py's default, ``required``. Managed services with self-signed
            certificates (Heroku Key-Value Store) need ``none``.
        ssl_ca_certs: for ``rediss://``, the CA bundle to verify the certificate against.
        patience: seconds each call keeps reconnecting through an outage before it fails.

    The same options go to the decoded client (store, limiter, pub/sub) and to every arq
    client. Nothing is sent until first use, so this never blocks or fails at start-up.
    """
    if redis_url:
        options: dict[str, Any] = {
            "socket_timeout": 5.0,
            "socket_connect_timeout": 5.0,
            "health_check_interval": 30,
            # Ride out a blip (a restart, a failover): every command reconnects and retries
            # for about REDIS_PATIENCE seconds before it fails. Callers with a tighter budget
            # (the ack of a slash command, /healthz) bound the call with a timeout.
            "retry": RideOut(patience),
            # OSError: a refused connection (a restart) reaches the retry as the socket's own.
            "retry_on_error": [RedisConnectionError, RedisTimeoutError, OSError],
        }
        if redis_url.startswith("rediss://"):
            # redis-py maps these strings to ssl.CERT_NONE/OPTIONAL/REQUIRED itself.
            if ssl_cert_reqs is not None:
                options["ssl_cert_reqs"] = ssl_cert_reqs
            if ssl_ca_certs is not None:
                options["ssl_ca_certs"] = str(ssl_ca_certs)

        def new_arq() -> ArqRedis:
            client: ArqRedis = ArqRedis.from_url(redis_url, **options)
            # from_url builds the client without arq's own arguments: set them after.
            client.job_serializer = dump_job
            client.job_deserializer = load_job
            return client

        return RedisConnections(
            redis=aioredis.Redis.from_url(redis_url, decode_responses=True, **options),
            arq=new_arq(),
            embedded=False,
            new_arq=new_arq,
        )
    return _embedded()


def describe_redis_error(err: BaseException) -> str:
    """One sentence for a person: why Redis could not be used, and which setting fixes it.

    A certificate that fails verification is the usual first failure on a managed Redis
    over TLS, and redis-py reports it as a plain ``ConnectionError``: name the settings.
    """
    text = str(err)
    if any(mark in text for mark in _TLS_MISCONFIGURED[:2]):
        return (
            "could not verify the TLS certificate of the Redis server at REDIS_URL. If your "
            "provider uses a self-signed certificate (Heroku Key-Value Store does), set "
            "REDIS_SSL_CERT_REQS=none; or set REDIS_SSL_CA_CERTS to the CA bundle that "
            "signed it."
        )
    if any(mark in text for mark in _TLS_MISCONFIGURED[2:]):
        return (
            "the Redis server at REDIS_URL did not answer TLS: use redis:// for a server "
            "without TLS, rediss:// only for one with it."
        )
    return f"could not reach Redis at REDIS_URL ({type(err).__name__})."


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
        return _EmbeddedArqRedis(
            connection_pool=pool, job_serializer=dump_job, job_deserializer=load_job
        )

    return RedisConnections(
        redis=fakeredis.FakeAsyncRedis(server=server, decode_responses=True),
        arq=new_arq(),
        embedded=True,
        new_arq=new_arq,
    )
