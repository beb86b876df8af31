"""The benchmarks' own helpers: the load generator's requests and runs, the schedule's cost."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from aiohttp import web

from bench._loadgen import render, run_load
from bench.bench_mcp import _schedule_cost
from shared.polling import PollSchedule


def test_a_template_is_filled_in_one_pass_with_the_body_length() -> None:
    template = {
        "method": "POST",
        "path": "/callbacks/nyne/{TOKEN}",
        "headers": {"Content-Type": "application/json", "X-Sig": "{TOKEN}"},
        "body": "{BODY}",
    }
    # A value that contains another placeholder is left as it is.
    request = render(8080, template, {"{TOKEN}": "abc", "{BODY}": '{"t": "{TOKEN}é"}'})
    head, _, body = request.partition(b"\r\n\r\n")
    assert head.split(b"\r\n") == [
        b"POST /callbacks/nyne/abc HTTP/1.1",
        b"Host: 127.0.0.1:8080",
        b"Content-Type: application/json",
        b"X-Sig: abc",
        b"Content-Length: 18",  # é is two bytes
    ]
    assert body == '{"t": "{TOKEN}é"}'.encode()


def test_a_get_without_a_body_has_no_content_length() -> None:
    request = render(1, {"path": "/x?a=1", "headers": {}}, {})
    assert request == b"GET /x?a=1 HTTP/1.1\r\nHost: 127.0.0.1:1\r\n\r\n"


def test_the_schedule_cost_of_a_105_second_search() -> None:
    offsets, lag = _schedule_cost(PollSchedule(), has_callback=False)
    assert offsets == [1, 3, 7, 15, 30, 60, 90, 120]
    assert lag == 15
    offsets, lag = _schedule_cost(PollSchedule(), has_callback=True)
    assert offsets == [2, 7, 22, 52, 112]
    assert lag == 7


@pytest.fixture
async def echo_port() -> AsyncIterator[int]:
    """A server answering 200 with the request's path, 404 under /missing."""

    async def handle(request: web.Request) -> web.Response:
        await request.read()
        if request.path.startswith("/missing"):
            raise web.HTTPNotFound
        return web.Response(text=request.path)

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", handle)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    yield int(runner.addresses[0][1])
    await runner.cleanup()


async def test_a_burst_sends_each_request_once_and_times_each(echo_port: int) -> None:
    template = {"method": "POST", "path": "/{N}", "headers": {}, "body": "x{N}"}
    fills = [{"{N}": str(n)} for n in range(7)] + [{"{N}": "missing"}]
    answer = await run_load(
        {"port": echo_port, "template": template, "fills": fills, "connections": 3}
    )
    assert answer["responses"] == 7
    assert answer["errors"] == 1
    assert answer["statuses"] == {"200": 7, "404": 1}
    assert len(answer["latencies"]) == 8
    assert all(0 < seconds < answer["seconds"] + 1e-3 for seconds in answer["latencies"])


async def test_a_timed_run_repeats_until_time_is_up(echo_port: int) -> None:
    started = asyncio.get_running_loop().time()
    answer = await run_load(
        {"port": echo_port, "path": "/a", "headers": {}, "seconds": 0.2, "connections": 2}
    )
    assert answer["errors"] == 0
    assert answer["responses"] > 2
    assert "latencies" not in answer
    assert 0.2 <= asyncio.get_running_loop().time() - started < 5
