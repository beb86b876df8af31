"""The job queue's wire format: JSON through every client, never pickle (issue 14)."""

from __future__ import annotations

import json
from typing import Any

import pytest
import redis.asyncio as aioredis

from shared.state.connection import connect_redis, dump_job, load_job


async def test_a_job_is_stored_in_redis_as_json(redis_url: str, redis: aioredis.Redis) -> None:
    connections = connect_redis(redis_url)
    try:
        job = await connections.arq.enqueue_job(
            "deliver", "d-1", _job_id="deliver:d-1:1", _queue_name="leads:jobs"
        )
        assert job is not None
        stored = json.loads(await redis.get("arq:job:deliver:d-1:1"))
        assert stored["f"] == "deliver"
        assert stored["a"] == ["d-1"]
        # Read back through arq, and by a worker's own client (new_arq): the same format.
        info = await job.info()
        assert info is not None
        assert info.function == "deliver"
        again = connections.new_arq()
        try:
            queued = await again.queued_jobs(queue_name="leads:jobs")
            assert [list(j.args) for j in queued] == [["d-1"]]
        finally:
            await again.aclose()
    finally:
        await connections.aclose()


async def test_the_embedded_store_queues_json_too() -> None:
    connections = connect_redis(None)
    try:
        await connections.arq.enqueue_job("deliver", "d-1", _job_id="j", _queue_name="q")
        raw = await connections.arq.get("arq:job:j")
        assert json.loads(raw)["a"] == ["d-1"]
        assert connections.new_arq().job_deserializer is load_job
    finally:
        await connections.aclose()


def test_a_failed_jobs_exception_is_stored_as_text() -> None:
    data: dict[str, Any] = {"s": False, "r": ValueError("no such delivery")}
    assert load_job(dump_job(data)) == {"s": False, "r": "ValueError: no such delivery"}


def test_anything_else_that_json_cannot_hold_is_refused() -> None:
    # arq catches this and stores its own placeholder ("unable to serialize result").
    with pytest.raises(TypeError):
        dump_job({"r": object()})


@pytest.mark.parametrize("raw", [b"\x80\x04K\x01.", b"[1, 2]", b"not json"])
def test_anything_but_a_json_object_is_refused(raw: bytes) -> None:
    with pytest.raises(ValueError, match="a job must be a JSON object"):
        load_job(raw)
