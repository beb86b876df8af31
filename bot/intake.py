"""``/leads <description>``, durable from the ack: :class:`CommandStore` and :class:`Intake`.

Slack never retries a slash command, so whatever happens after the ack must survive the
process that acked it. The command is recorded in Redis first — one round trip — and only
then acknowledged; if Redis cannot take it within the ack budget, it is written to this
host's spool instead (``bot/spool.py``) and moved to Redis when it is back. The process
that acked runs the command at once (:meth:`Intake.run`); if it dies, its lease lapses and
the requeue pass (``bot/jobs.py``) hands the command to any process running the job queue,
``web`` or ``worker``. Each step is recorded right after it happens,
so a resumed run starts after the last one:

1. **received** — the visible parent message is posted ("Queued…"), and its ``ts`` recorded.
   Right before it is posted, the command is marked **posting**, and the message carries
   the command's ID as Slack message metadata: a run that finds the mark but no ``ts`` (its
   predecessor died while Slack took the message) looks for it in the channel's history
   and records it, rather than post a second parent.
   If the bot may not post in the channel, the person is told how to invite it, through the
   command's ``response_url``, and the command is closed. Slack usually says so at once,
   and then nothing reached the API.
2. **posted** — the search is submitted through the core (which may wait for the shared
   request budget; the parent then says when it will run) and its request ID recorded. If
   the API refuses the search, the parent says why, and the command is closed.
   The reason is recorded before the parent says it (**refused**), so a resumed run says
   it again rather than submit again: a POST answered 500 may have created the search.
   The parent gets a head start of :data:`PARENT_HEAD_START`, not a veto: when Slack is
   slow to take it (a 429 costs a second or two), the search is submitted meanwhile, so
   steps 1 and 2 may be recorded in either order.
3. **submitted** — a delivery is recorded where the parent is (once per command, however
   often this step runs) and its first run queued; the command is closed.

Exactly once: one process at a time works on a command (a lock with a lease, renewed by a
heartbeat; see :data:`COMMAND_LEASE` for Redis blips). A run that dies between the API's
answer to the POST and the core recording the search may submit it twice (the core's
identical-search reuse finds the first one once it is recorded): a window a few
milliseconds wide. A parent is posted twice only when the channel's history cannot be read
(see :meth:`Intake._find_parent`). Everything else resumes exactly.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import secrets
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from enum import Enum, StrEnum
from typing import Any

import redis.asyncio as aioredis
from pydantic import BaseModel
from redis.exceptions import LockError
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.webhook.async_client import AsyncWebhookClient

from bot.deliveries import DeliveryStore, SlackRequest
from bot.keys import BotKeys
from bot.messages import (
    CANNOT_POST_HERE,
    CLOCK_MARGIN,
    error_code,
    find_tagged,
    post_message,
    tag,
    update_message,
)
from bot.views import notices
from bot.views.blocks import SlackMessage
from bot.views.parent import ParentHeader, parent_not_started, parent_progress, parent_waiting
from shared._awaitable import settle
from shared.errors import (
    APIError,
    AuthenticationError,
    BadRequestError,
    InternalServerError,
    RateLimitError,
)
from shared.service import LeadsService
from shared.state.lease import Heartbeat
from shared.state.records import SearchState

__all__ = ["COMMAND_TTL", "Command", "CommandStore", "Intake", "IntakeOutcome", "Stage"]

log = logging.getLogger(__name__)

COMMAND_TTL = 24 * 3600
"""Seconds a command's record is kept (its work is long done by then)."""
COMMAND_LEASE = 20
"""Seconds a run's lock on a command lives unless its heartbeat renews it (every ~7 s).

Short, so that a command whose process died is taken over within seconds; long enough
that a live run keeps its lock through a Redis blip of 10 s (at least 13 s are left when
one starts). Through a longer one, a second process may take the command over while the
first still waits on Redis: the first stops at its next heartbeat, having posted or sent
nothing that needs Redis in between — except a submission already past the rate limiter."""
COMMAND_GRACE = 10
"""Seconds past its last heartbeat after which the requeue pass hands a command on."""
MAX_RUNS = 8
"""Runs a command gets (about 90 s of retries) before the person is told it failed."""
_OPEN_TTL = 30 * 24 * 3600

# KEYS: the command's hash, the open commands. ARGV: the command's ID, its deadline, the
# hash's TTL, the set's TTL, then the hash's field/value pairs. Records a command unless it
# is already recorded (a spooled command moved twice), so that it is never reset.
_SAVE = """
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
redis.call('HSET', KEYS[1], unpack(ARGV, 5))
redis.call('EXPIRE', KEYS[1], ARGV[3])
redis.call('ZADD', KEYS[2], ARGV[2], ARGV[1])
redis.call('EXPIRE', KEYS[2], ARGV[4])
return 1
"""
PARENT_EVENT = "leads_command"
"""The Slack message metadata ``event_type`` of a ``/leads`` parent (payload: the command)."""
# Waits shorter than this pass without a word on the parent message.
_MENTION_WAIT_AFTER = 1.0
PARENT_HEAD_START = 0.5
"""Seconds the parent message gets to go up before the search is submitted anyway.

Slack answers well within that, so a channel the bot cannot post in is found out before
anything reaches the API (nothing searched, no credit spent). A slow answer — a 429 costs
a second or two — no longer holds up the search, which takes longest: it is submitted while
the parent is still on its way."""


async def _finished(task: asyncio.Task[Any]) -> None:
    """Wait for ``task`` to end, however it ends; its error, if any, is dropped (the
    caller is failing already, and the next run meets the same step again)."""
    await asyncio.wait({task})
    if not task.cancelled():
        task.exception()  # retrieved: no "exception was never retrieved" at exit


class Stage(StrEnum):
    """How far a command has got: the last step recorded (the parent's post and the
    submission may be recorded in either order, see :data:`PARENT_HEAD_START`)."""

    RECEIVED = "received"
    """Recorded and acknowledged; no parent message yet."""
    POSTED = "posted"
    """The parent message is up; the search is not submitted yet."""
    SUBMITTED = "submitted"
    """The search is started (its request ID recorded); its delivery may not be yet."""
    REFUSED = "refused"
    """The search did not start (the API refused or failed it): the parent must say why."""
    CLOSED = "closed"
    """Nothing more to do: the search started, or the person was told why not."""


class IntakeOutcome(Enum):
    """How a run of a command ended."""

    DONE = "done"
    """The command is closed: its search started, or the person was told why not."""
    BUSY = "busy"
    """Another process is working on it (or this run lost its lock); try again shortly."""
    GONE = "gone"
    """Unknown (expired) or already closed: nothing to do."""


class Command(BaseModel):
    """One ``/leads <description>``, as recorded before its ack."""

    command_id: str
    team_id: str
    channel_id: str
    user_id: str
    description: str
    """Valid (10–2000 characters once trimmed): checked before it was recorded."""
    response_url: str | None = None
    """Where to answer the person only (a capability URL: never logged)."""
    received_at: datetime
    stage: Stage = Stage.RECEIVED
    parent_ts: str | None = None
    posting: bool = False
    """A run was posting the parent: it may be up though its ``ts`` is not recorded."""
    request_id: str | None = None
    """The search, once submitted (or an identical recent one reused)."""
    reused: bool = False
    reason: str | None = None
    """Why the search did not start (mrkdwn for the parent), once it is refused."""

    @property
    def asker(self) -> SlackRequest:
        """Who asked, and where."""
        return SlackRequest(team_id=self.team_id, channel_id=self.channel_id, user_id=self.user_id)

    def to_hash(self) -> dict[str, str]:
        """Flat string fields for ``HSET``."""
        fields = {
            "team_id": self.team_id,
            "channel_id": self.channel_id,
            "user_id": self.user_id,
            "description": self.description,
            "received_at": f"{self.received_at.timestamp():.3f}",
            "stage": self.stage.value,
        }
        if self.response_url:
            fields["response_url"] = self.response_url
        if self.parent_ts:
            fields["parent_ts"] = self.parent_ts
        if self.posting:
            fields["posting"] = "1"
        if self.request_id:
            fields["request_id"] = self.request_id
        if self.reused:
            fields["reused"] = "1"
        if self.reason:
            fields["reason"] = self.reason
        return fields

    @classmethod
    def from_hash(cls, command_id: str, fields: dict[str, str]) -> Command:
        """Rebuild from its ID and ``HGETALL`` (decoded)."""
        received = fields.get("received_at")
        return cls(
            command_id=command_id,
            team_id=fields.get("team_id", ""),
            channel_id=fields.get("channel_id", ""),
            user_id=fields.get("user_id", ""),
            description=fields.get("description", ""),
            response_url=fields.get("response_url") or None,
            received_at=datetime.fromtimestamp(float(received), UTC)
            if received
            else datetime.now(UTC),
            stage=Stage(fields.get("stage") or Stage.RECEIVED.value),
            parent_ts=fields.get("parent_ts") or None,
            posting=fields.get("posting") == "1",
            request_id=fields.get("request_id") or None,
            reused=fields.get("reused") == "1",
            reason=fields.get("reason") or None,
        )


class CommandStore:
    """The ``/leads`` commands in Redis, behind named operations (keys: ``bot/keys.py``).

    Args:
        redis: a decoded Redis client (the core's).
        prefix: the core's key prefix.
        lease: seconds a run's lock lives unless its heartbeat renews it.
        grace: seconds without a heartbeat after which a command is overdue.
    """

    def __init__(
        self,
        redis: aioredis.Redis,
        prefix: str,
        *,
        lease: int = COMMAND_LEASE,
        grace: int = COMMAND_GRACE,
    ) -> None:
        self.redis = redis
        self.keys = BotKeys(prefix)
        self.lease = lease
        self.grace = grace
        self._save = redis.register_script(_SAVE)

    @staticmethod
    def new(asker: SlackRequest, description: str, *, response_url: str | None) -> Command:
        """A command just received (not recorded yet: :meth:`save` it)."""
        return Command(
            command_id=secrets.token_hex(8),
            team_id=asker.team_id,
            channel_id=asker.channel_id,
            user_id=asker.user_id,
            description=description,
            response_url=response_url,
            received_at=datetime.now(UTC),
        )

    async def save(self, command: Command, *, due_now: bool = False) -> bool:
        """Record a command: one round trip. False when it was recorded already.

        Due after the grace (the process saving it runs it now), or at once (``due_now``:
        nobody runs it yet, the requeue pass hands it to a worker).
        """
        deadline = time.time() + (0 if due_now else self.grace)
        pairs = [item for pair in command.to_hash().items() for item in pair]
        saved = await self._save(
            keys=[self.keys.command(command.command_id), self.keys.open_commands],
            args=[command.command_id, f"{deadline:.6f}", COMMAND_TTL, _OPEN_TTL, *pairs],
        )
        return bool(saved)

    async def record(
        self, asker: SlackRequest, description: str, *, response_url: str | None
    ) -> Command:
        """Record a new command, due after the grace; the command."""
        command = self.new(asker, description, response_url=response_url)
        await self.save(command)
        return command

    async def get(self, command_id: str) -> Command | None:
        """The command, or None once expired."""
        fields: dict[str, str] = await settle(self.redis.hgetall(self.keys.command(command_id)))
        return Command.from_hash(command_id, fields) if fields else None

    async def posting(self, command_id: str) -> None:
        """Record that the parent message is about to be posted (right before it is)."""
        await settle(self.redis.hset(self.keys.command(command_id), "posting", "1"))

    async def posted(self, command_id: str, parent_ts: str) -> None:
        """Record that the parent message is up (right after posting it)."""
        await settle(
            self.redis.hset(
                self.keys.command(command_id),
                mapping={"stage": Stage.POSTED.value, "parent_ts": parent_ts},
            )
        )

    async def submitted(self, command_id: str, request_id: str, *, reused: bool) -> None:
        """Record the search a command started (right after the core accepted it)."""
        fields = {"stage": Stage.SUBMITTED.value, "request_id": request_id}
        if reused:
            fields["reused"] = "1"
        await settle(self.redis.hset(self.keys.command(command_id), mapping=fields))

    async def count_run(self, command_id: str) -> int:
        """Count one more run of the command; how many it has had, this one included."""
        runs: int = await settle(self.redis.hincrby(self.keys.command(command_id), "runs", 1))
        return runs

    async def refused(self, command_id: str, reason: str) -> None:
        """Record why the search did not start, before saying so: a resumed run never
        submits it again (a POST answered 500 may have created it)."""
        await settle(
            self.redis.hset(
                self.keys.command(command_id),
                mapping={"stage": Stage.REFUSED.value, "reason": reason},
            )
        )

    async def close(self, command_id: str) -> None:
        """Nothing more to do for this command."""
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.hset(self.keys.command(command_id), "stage", Stage.CLOSED.value)
            pipe.zrem(self.keys.open_commands, command_id)
            await pipe.execute()

    async def keep_open(self, command_id: str) -> None:
        """Push a running command's deadline out (its heartbeat calls this)."""
        await self.redis.zadd(self.keys.open_commands, {command_id: time.time() + self.grace})

    async def hand_on(self, command_id: str) -> None:
        """Make a command due now: this process stops (shutdown), another should take it."""
        await self.redis.zadd(self.keys.open_commands, {command_id: time.time()})

    async def overdue(self, *, limit: int) -> list[str]:
        """Commands past their deadline (a process died on them); pushes them back."""
        now = time.time()
        ids: list[str] = await self.redis.zrangebyscore(
            self.keys.open_commands, "-inf", f"{now:.6f}", start=0, num=limit
        )
        if ids:
            await self.redis.zadd(self.keys.open_commands, dict.fromkeys(ids, now + self.grace))
        return ids

    async def drop(self, command_id: str) -> None:
        """Forget an open command whose record has expired."""
        await self.redis.zrem(self.keys.open_commands, command_id)

    def lock(self, command_id: str) -> aioredis.lock.Lock:
        """A lock that serialises work on one command across processes (auto-expires)."""
        return self.redis.lock(
            self.keys.command_lock(command_id), timeout=self.lease, blocking=False
        )


class Intake:
    """Runs recorded ``/leads`` commands, one run at a time per command.

    Args:
        commands: the recorded commands.
        deliveries: where a started search's answer is recorded.
        service: the core's lead-search service.
        slack: the bot's Slack client.
        deliver: queues the first run of a delivery (``BotServices.enqueue``).
        sandbox: the searches run on the sandbox (the parent says so).
    """

    def __init__(
        self,
        commands: CommandStore,
        deliveries: DeliveryStore,
        service: LeadsService,
        slack: AsyncWebClient,
        deliver: Callable[[str, str], Awaitable[None]],
        *,
        sandbox: bool,
    ) -> None:
        self.commands = commands
        self.deliveries = deliveries
        self.service = service
        self.slack = slack
        self.deliver = deliver
        self.sandbox = sandbox

    async def run(self, command_id: str) -> IntakeOutcome:
        """Take the command as far as it goes: see the module's docstring.

        Raises what failed on the way (Redis, Slack); the command then stays open and is
        run again from its last recorded step. Cancelled (a shutdown), it is handed on.
        """
        lock = self.commands.lock(command_id)
        if not await lock.acquire():
            return IntakeOutcome.BUSY
        try:
            command = await self.commands.get(command_id)
            if command is None or command.stage is Stage.CLOSED:
                await self.commands.drop(command_id)
                return IntakeOutcome.GONE
            if await self.commands.count_run(command_id) > MAX_RUNS:
                await self._give_up(command)
                await self.commands.close(command_id)
                return IntakeOutcome.DONE
            work = asyncio.create_task(self._advance(command))
            heartbeat = Heartbeat(
                lock,
                self.commands.lease,
                lambda: self.commands.keep_open(command_id),
                work,
                {"command_id": command_id},
            )
            async with heartbeat:
                try:
                    await work
                except asyncio.CancelledError:
                    if heartbeat.lost:
                        return IntakeOutcome.BUSY
                    # Stopped from outside (a shutdown): another process takes it at once.
                    with contextlib.suppress(Exception):
                        await self.commands.hand_on(command_id)
                    log.info("command handed on", extra={"command_id": command_id})
                    raise
            await self.commands.close(command_id)
            return IntakeOutcome.DONE
        finally:
            with contextlib.suppress(LockError):  # lost: another run may hold it now
                await lock.release()

    async def _advance(self, command: Command) -> None:
        header = ParentHeader(command.user_id, command.description, sandbox=self.sandbox)
        parent = asyncio.create_task(self._post_parent(command, header))
        try:
            await asyncio.wait({parent}, timeout=PARENT_HEAD_START)
            if parent.done() and parent.result() is None:
                started = command.request_id is not None  # by an earlier run
                await self.tell_asker(command, notices.not_in_channel(started=started))
                return
            request_id, reused, reason = await self._start_search(command, header, parent)
            parent_ts = await parent
        except asyncio.CancelledError:
            parent.cancel()
            raise
        except BaseException:
            # Let a parent on its way be posted and recorded (a resumed run would have to
            # look for it), then fail with the submission's error.
            await _finished(parent)
            raise
        if parent_ts is None:
            await self.tell_asker(command, notices.not_in_channel(started=request_id is not None))
            return
        if request_id is None:
            message = parent_not_started(header, reason or notices.unexpected_reason())
            await update_message(self.slack, command.channel_id, parent_ts, message)
            return
        # Once per command, however often this step runs: the command's ID names it.
        delivery = await self.deliveries.add(
            request_id,
            asker=command.asker,
            parent_ts=parent_ts,
            reused=reused,
            once=command.command_id,
        )
        if delivery is not None:  # None: the search expired from Redis in between
            await self.deliver(delivery.delivery_id, "new")

    async def _give_up(self, command: Command) -> None:
        """Every run failed (see the log): tell the person, where they will see it."""
        log.error(
            "command failed %d times: told the user",
            MAX_RUNS,
            extra={"command_id": command.command_id},
        )
        parent_ts = command.parent_ts
        if parent_ts is None and command.posting:  # a "Queued…" that must not stay so
            parent_ts = await self._find_parent(command)
        if parent_ts is None:
            await self.tell_asker(command, notices.unexpected_error())
            return
        header = ParentHeader(command.user_id, command.description, sandbox=self.sandbox)
        message = parent_not_started(header, notices.unexpected_reason())
        with contextlib.suppress(SlackApiError):
            await update_message(self.slack, command.channel_id, parent_ts, message)

    async def _post_parent(self, command: Command, header: ParentHeader) -> str | None:
        """The parent's ``ts``: posted and recorded now unless it was already; None when the
        bot may not post there (the caller tells the person)."""
        if command.parent_ts is not None:
            return command.parent_ts
        if command.posting:  # a run died posting it: is it up?
            found = await self._find_parent(command)
            if found is not None:
                await self.commands.posted(command.command_id, found)
                return found
        where = {"command_id": command.command_id, "channel_id": command.channel_id}
        await self.commands.posting(command.command_id)
        try:
            parent_ts = await post_message(
                self.slack,
                command.channel_id,
                parent_progress(header, SearchState.QUEUED),
                metadata=tag(PARENT_EVENT, command=command.command_id),
            )
        except SlackApiError as err:
            if error_code(err) not in CANNOT_POST_HERE:
                raise
            log.info("cannot post here (%s)", error_code(err), extra=where)
            return None
        await self.commands.posted(command.command_id, parent_ts)
        return parent_ts

    async def _find_parent(self, command: Command) -> str | None:
        """The ``ts`` of the parent an earlier run posted (found by the command's ID in its
        metadata), or None when it is not in the channel's history.

        Only messages since the command was received are read (a minute's margin for the
        clocks). If the history cannot be read (the scope is missing, the bot is not in the
        channel, the call fails), the parent is posted again: two parents are better than
        none.
        """
        oldest = f"{command.received_at.timestamp() - CLOCK_MARGIN:.6f}"
        history = functools.partial(
            self.slack.conversations_history, channel=command.channel_id, oldest=oldest
        )
        wanted = tag(PARENT_EVENT, command=command.command_id)
        return await find_tagged(history, wanted, where={"command_id": command.command_id})

    async def tell_asker(self, command: Command, message: SlackMessage) -> None:
        """Answer only the person who asked, through the command's ``response_url``."""
        if not command.response_url:
            return
        try:
            await AsyncWebhookClient(command.response_url).send(
                text=message.text,
                blocks=message.blocks,
                response_type="ephemeral",
                replace_original=False,
            )
        except Exception:  # best effort: the URL may have expired (30 minutes)
            log.warning(
                "could not answer through the response URL",
                exc_info=True,
                extra={"command_id": command.command_id},
            )

    async def _start_search(
        self, command: Command, header: ParentHeader, parent: asyncio.Task[str | None]
    ) -> tuple[str | None, bool, str | None]:
        """(request ID, reused, None) once the search is started — now, or by an earlier run
        — or (None, False, why not) once it was refused. Each outcome is recorded."""
        if command.request_id is not None:
            return command.request_id, command.reused, None
        if command.reason is not None:
            return None, False, command.reason
        submitted = await self._submit(command, parent, header)
        if isinstance(submitted, str):
            await self.commands.refused(command.command_id, submitted)
            return None, False, submitted
        request_id, reused = submitted
        await self.commands.submitted(command.command_id, request_id, reused=reused)
        return request_id, reused, None

    async def _submit(
        self, command: Command, parent: asyncio.Task[str | None], header: ParentHeader
    ) -> tuple[str, bool] | str:
        """Submit: the search's request ID and whether it was reused, or why it did not start.

        The reason is mrkdwn for the parent message (``parent``: its post, maybe still on
        its way).
        """
        where = {"command_id": command.command_id, "channel_id": command.channel_id}
        told_waiting = False

        async def on_wait(seconds: float) -> None:
            # The shared budget makes us wait for a slot: say when the search will run.
            nonlocal told_waiting
            # Said on the parent once it is up (not waited for: the search goes first).
            if told_waiting or seconds < _MENTION_WAIT_AFTER or not parent.done():
                return
            parent_ts = None if parent.cancelled() or parent.exception() else parent.result()
            if parent_ts is None:  # nowhere to say it
                return
            told_waiting = True
            starts_at = datetime.now(UTC) + timedelta(seconds=seconds)
            try:
                await update_message(
                    self.slack, command.channel_id, parent_ts, parent_waiting(header, starts_at)
                )
            except SlackApiError as err:
                log.warning("could not show the rate-limit wait (%s)", error_code(err), extra=where)

        origin = command.asker.origin.model_copy(update={"ref": command.command_id})
        try:
            result = await self.service.submit(
                command.description, origin, on_wait=on_wait, claimant=command.command_id
            )
        except RateLimitError as err:
            retry_after = float(err.retry_after or 60)
            log.warning(
                "rate limited: search not started (retry in %.0f s)", retry_after, extra=where
            )
            retry_at = datetime.now(UTC) + timedelta(seconds=retry_after)
            return notices.budget_exhausted(retry_at, retry_after)
        except AuthenticationError:
            log.error(
                "the Person Leads API refused our credentials: "
                "check NYNE_API_KEY and NYNE_API_SECRET",
                extra=where,
            )
            return notices.credentials_refused()
        except BadRequestError as err:
            log.warning("the API refused the search (%s)", err.code, extra=where)
            return notices.api_refused(err.code)
        except InternalServerError:
            # Not retried: a POST answered 500 may have created the search (and a retry a
            # second, billed one). The person decides whether to run it again.
            log.warning("search not started: the API answered 500", extra=where)
            return notices.api_failed()
        except APIError as err:
            log.warning("search not started: %s", type(err).__name__, extra=where)
            return notices.api_unavailable()
        request_id = result.search.request_id
        # A resumed run finds the search its dead predecessor submitted as a "reused" one:
        # it is this command's own (and its credit this command's).
        reused = result.reused and result.search.origin.ref != command.command_id
        log.info(
            "search started from Slack",
            extra={
                **where,
                "request_id": request_id,
                "reused": reused,
                "after_s": round((datetime.now(UTC) - command.received_at).total_seconds(), 3),
            },
        )
        return request_id, reused
