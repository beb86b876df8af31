"""One Slack search's whole life against a private redis-server, stepped deterministically.

The rig is the real thing: the sandbox API over HTTP (on a manual clock, so phases move
only when told), the product's runtime on a real redis-server, a real callback receiver,
the bot's services (deliveries, their job queue, the sweep, the requeue pass) listening to
the core's changes as the bot does. Only the Slack side is a stand-in
(:class:`BookkeepingDeliverer`): it does the Redis bookkeeping a Slack deliverer does and
posts nothing.

The scenario, per search: a Slack ``/leads`` submission with a callback URL (the search,
then its delivery and that delivery's first job, as the bot's command handler does); the
four phase changes (pending → aggregating) each learned by a sweep pass — the core's sweep
and the bot's requeue pass, the two jobs the bot's worker runs every second — that finds
this search due; completion by the API's callback; and one delivery run per revision
queued (six in all).
"""

from __future__ import annotations

import asyncio
import math
import secrets
import time
from collections import defaultdict
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from itertools import accumulate

from aiohttp import web
from slack_sdk.web.async_client import AsyncWebClient

from bench._redis_count import RoundTrips, commands_executed, count_round_trips
from bot.deliveries import Delivery, SlackRequest
from bot.delivery import Deliverer, DeliveryOutcome
from bot.jobs import BotServices, requeue_overdue
from sandbox.api.clock import ManualClock
from sandbox.api.timing import DEFAULT_PHASE_SECONDS, PHASES
from sandbox.embedded import RunningSandbox, SandboxConfig, start_sandbox
from shared.runtime import ApiEndpoint, Runtime, open_runtime
from shared.service import CallbackOutcome
from shared.settings import SANDBOX_API_KEY, SANDBOX_API_SECRET, Settings
from shared.state.records import Origin, SearchRecord

__all__ = [
    "LEADS_PER_MESSAGE",
    "PARENT_TS",
    "SLACK",
    "BookkeepingDeliverer",
    "Rig",
    "StepCost",
    "open_rig",
]

SLACK = SlackRequest(team_id="T0BENCH", channel_id="C0BENCH", user_id="U0BENCH")
PARENT_TS = "1700000000.000100"
"""The parent message a delivery answers under (a real Slack ``ts``; nothing is posted)."""
LEADS_PER_MESSAGE = 10
"""Lead cards per thread message (Slack allows 50 blocks a message, a card takes a few)."""


class BookkeepingDeliverer(Deliverer):
    """The bot's deliverer with its Slack calls left out: only the Redis bookkeeping.

    Each run records the status it shows; on completion it loads the results, records each
    thread message as posted (``LEADS_PER_MESSAGE`` leads each) and reports the answer done.
    The lock, the heartbeat and finishing are the real :class:`~bot.delivery.Deliverer`'s.
    """

    async def bring_up_to_date(self, delivery: Delivery, search: SearchRecord) -> bool:
        """Show ``search``'s state; True once the whole answer is posted."""
        if search.is_terminal:
            leads = await self.searches.get_results(search.request_id) or []
            for part in range(delivery.parts_posted, math.ceil(len(leads) / LEADS_PER_MESSAGE)):
                await self.deliveries.record(delivery.delivery_id, parts_posted=part + 1)
        await self.deliveries.record(delivery.delivery_id, status_shown=search.status.value)
        return search.is_terminal


class _Receiver:
    """The callback route the bot serves, in front of the runtime's service."""

    def __init__(self) -> None:
        self.runtime: Runtime | None = None
        self.outcomes: list[CallbackOutcome] = []

    async def handle(self, request: web.Request) -> web.Response:
        assert self.runtime is not None
        service = self.runtime.service
        request_id = await service.resolve_callback_token(request.match_info["token"])
        outcome = (
            CallbackOutcome.UNKNOWN_TOKEN
            if request_id is None
            else await service.accept_callback(request_id, await request.read())
        )
        self.outcomes.append(outcome)
        ok = outcome in (CallbackOutcome.ACCEPTED, CallbackOutcome.DUPLICATE)
        return web.Response(status=200 if ok else outcome.value)


@dataclass
class StepCost:
    """What one step of a lifecycle cost, over the ``times`` it ran."""

    round_trips: RoundTrips = field(default_factory=RoundTrips)
    commands: int = 0
    """Commands the server executed, those inside Lua scripts included."""
    times: int = 0


@dataclass
class Rig:
    """Everything a lifecycle needs, running."""

    sandbox: RunningSandbox
    clock: ManualClock
    runtime: Runtime
    receiver: _Receiver
    services: BotServices
    """The bot's: deliveries (run by :class:`BookkeepingDeliverer`), queue, sweep."""

    async def start_search(
        self, description: str, asker: SlackRequest | Origin
    ) -> tuple[str, str | None]:
        """Start a search as its front does; its request ID, and its delivery's if Slack's.

        From Slack, as the bot's ``/leads`` intake: submit, record the delivery under the
        parent message (once per command), queue its first run. From any other front: submit.
        """
        if isinstance(asker, Origin):
            submitted = await self.runtime.service.submit(description, asker)
            return submitted.search.request_id, None
        submitted = await self.runtime.service.submit(description, asker.origin)
        request_id = submitted.search.request_id
        delivery = await self.services.deliveries.add(
            request_id,
            asker=asker,
            parent_ts=PARENT_TS,
            reused=submitted.reused,
            once=secrets.token_hex(8),  # the command's ID, as the intake gives it
        )
        if delivery is None:
            raise RuntimeError(f"search {request_id} vanished before its delivery was recorded")
        await self.services.enqueue(delivery.delivery_id, "new")
        return request_id, delivery.delivery_id

    async def sweep_pass(self) -> int:
        """One tick of the bot's background work: the core's sweep, then the requeue pass.

        How many searches the sweep polled.
        """
        polled = await self.services.sweeper.run_once()
        await requeue_overdue({"services": self.services})
        return polled

    async def lifecycle(self, description: str) -> dict[str, StepCost]:
        """Run one search from submission to finished delivery; what each step cost."""
        steps: defaultdict[str, StepCost] = defaultdict(StepCost)
        store, deliverer = self.runtime.store, self.services.deliverer
        async with self._measure(steps["submit"]):
            request_id, delivery_id = await self.start_search(description, SLACK)
        assert delivery_id is not None
        started = self.clock.monotonic()
        async with self._measure(steps["delivery run"]):
            await deliverer.run(delivery_id)
        ends = list(accumulate(DEFAULT_PHASE_SECONDS))  # when each phase is over
        for index, phase in enumerate(PHASES[1:], start=1):
            self._advance_to(started + (ends[index - 1] + ends[index]) / 2)
            await store.schedule_poll(request_id, time.time() - 1)  # due now (not counted)
            async with self._measure(steps["sweep pass (a phase change)"]):
                polled = await self.sweep_pass()
            record = await store.get_search(request_id)
            if polled != 1 or record is None or record.status.value != phase:
                raise RuntimeError(f"the sweep did not see {phase}: polled {polled}, {record}")
            async with self._measure(steps["delivery run"]):
                await deliverer.run(delivery_id)
        async with self._measure(steps["completion by callback"]):
            self._advance_to(started + ends[-1] + 1)
            await self._callback_delivered(request_id)
        async with self._measure(steps["delivery run"]):
            outcome = await deliverer.run(delivery_id)
        if outcome is not DeliveryOutcome.FINISHED:
            raise RuntimeError(f"the delivery did not finish: {outcome}")
        return dict(steps)

    @asynccontextmanager
    async def _measure(self, step: StepCost) -> AsyncIterator[None]:
        redis = self.runtime.connections.redis
        before = await commands_executed(redis)
        with count_round_trips(step.round_trips):
            yield
        step.commands += await commands_executed(redis) - before
        step.times += 1

    def _advance_to(self, moment: float) -> None:
        self.clock.advance(moment - self.clock.monotonic())

    async def _callback_delivered(self, request_id: str) -> None:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            entry = self.sandbox.callbacks(request_id)
            if entry is not None and entry["state"] == "delivered":
                if self.receiver.outcomes[-1] is not CallbackOutcome.ACCEPTED:
                    raise RuntimeError(f"callback answered {self.receiver.outcomes[-1]}")
                return
            await asyncio.sleep(0.002)
        raise TimeoutError("the sandbox's callback was not delivered within 30 s")


@asynccontextmanager
async def open_rig(redis_url: str) -> AsyncIterator[Rig]:
    """Start the sandbox, a callback receiver and the runtime; stop them afterwards."""
    clock = ManualClock()
    config = SandboxConfig(rate_limit_per_minute=0, rate_limit_per_hour=0)
    receiver = _Receiver()
    app = web.Application()
    app.router.add_post("/callbacks/nyne/{token}", receiver.handle)
    site_runner = web.AppRunner(app, access_log=None)
    await site_runner.setup()
    try:
        await web.TCPSite(site_runner, "127.0.0.1", 0).start()
        callback_base = f"http://127.0.0.1:{site_runner.addresses[0][1]}"
        # Pinned, whatever the environment says. The client's own budget is not what is
        # measured here: make it roomy.
        settings = Settings(
            _env_file=None,
            leads_rate_limit_per_minute=1_000_000,
            leads_rate_limit_per_hour=1_000_000,
            leads_reuse_window_seconds=3600,
        )
        async with start_sandbox(config, clock=clock) as sandbox:
            endpoint = ApiEndpoint(
                sandbox.base_url, SANDBOX_API_KEY, SANDBOX_API_SECRET, sandbox=True
            )
            async with open_runtime(
                settings, endpoint=endpoint, redis_url=redis_url, callback_base_url=callback_base
            ) as runtime:
                receiver.runtime = runtime
                # Wired as bot.resources.open_bot_runtime wires the bot's services, with
                # the posting replaced by bookkeeping.
                services = BotServices.over(runtime, AsyncWebClient())
                services.deliverer = BookkeepingDeliverer(
                    services.deliveries, runtime.store, services.desk, AsyncWebClient()
                )
                await runtime.bus.subscribe(services.on_change)
                yield Rig(
                    sandbox=sandbox,
                    clock=clock,
                    runtime=runtime,
                    receiver=receiver,
                    services=services,
                )
    finally:
        await site_runner.cleanup()
