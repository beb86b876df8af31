"""Helper process for ``budget``: the sandbox API, its real rate limits on, in its own process.

``python -m bench._budget_sandbox`` says it is ready; its first request line ``{"speed"}``
starts the sandbox (60 requests a minute and 1000 an hour per key, every duration divided
by ``speed``) on a free port of 127.0.0.1 and is answered ``{"api_url", "slack_api_url",
"team_id"}``. Later request lines:

* ``{"op": "response_urls", "channel", "user", "count"}`` — ``{"urls"}``: that many
  ``response_url``s of the Slack stand-in, one per ``/leads`` the benchmark will send;
* ``{"op": "report"}`` — ``{"admitted", "refused", "searches"}``: the wall-clock time of
  every request the API admitted (its rate limiter counted it), how many it answered 429,
  and every search it was sent (``request_id``, ``description``, ``created``).

The request times are the sandbox's own record, taken where the API decides on its limit,
so they count exactly what the API saw, from whichever process sent it. It stops when its
stdin closes.
"""

from __future__ import annotations

import asyncio
import time

from bench._child import requests, run_pinned, say
from sandbox.api.ratelimit import Decision, SlidingWindowLimiter
from sandbox.embedded import SandboxConfig, start_sandbox

__all__ = ["RecordingLimiter"]


class RecordingLimiter:
    """Wraps the sandbox's limiter: notes the wall-clock time of each request it admits."""

    def __init__(self, limiter: SlidingWindowLimiter) -> None:
        self._hit = limiter.hit  # bound now: the service's ``limiter.hit`` becomes ours
        self.admitted: list[float] = []
        self.refused: list[tuple[float, float]] = []
        """(when, how many seconds too early) of each request answered 429."""

    def hit(self, key: str) -> Decision:
        """The sandbox's decision, unchanged; its time noted."""
        decision = self._hit(key)
        if decision.allowed:
            self.admitted.append(time.time())
        else:
            self.refused.append((time.time(), decision.retry_after))
        return decision


async def main(cpu: int | None) -> None:
    say({"ready": True, "cpu": cpu})
    orders = requests()
    setup = await anext(orders)
    config = SandboxConfig(speed=float(setup["speed"]), rate_limit_per_minute=60)
    async with start_sandbox(config) as sandbox:
        service = sandbox.service
        recorder = RecordingLimiter(service.limiter)
        # The service calls ``limiter.hit`` for every API request (GETs count too).
        service.limiter.hit = recorder.hit  # type: ignore[method-assign]
        say(
            {
                "api_url": sandbox.base_url,
                "slack_api_url": sandbox.slack_api_url,
                "team_id": sandbox.slack.team_id,
            }
        )
        async for order in orders:
            if order["op"] == "response_urls":
                slack = sandbox.slack
                urls = [
                    slack.new_response_url(sandbox.slack_api_url, order["channel"], order["user"])
                    for _ in range(int(order["count"]))
                ]
                say({"urls": urls})
            elif order["op"] == "report":
                searches = [
                    {
                        "request_id": record.request_id,
                        "description": record.description,
                        "created": record.created_wall.timestamp(),
                    }
                    for record in service.store.for_key(config.api_key)
                ]
                usage = await sandbox.usage()
                say(
                    {
                        "admitted": recorder.admitted,
                        "refused": recorder.refused,
                        "rate_limited": usage["rate_limited"],
                        "searches": searches,
                    }
                )
            await asyncio.sleep(0)


if __name__ == "__main__":
    run_pinned(main)
