"""What the bot owes Slack: one :class:`Delivery` per ``/leads`` answer, kept in Redis.

A delivery is one answer owed to one Slack request: where its parent message is, who asked,
and how much of the thread was already posted, so that a run that dies half-way resumes
after the last step it recorded. Identical-search reuse can hang several deliveries on one
search, so a search found once is answered in every channel that asked. Keys: ``keys.py``.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

import redis.asyncio as aioredis
from pydantic import BaseModel

from bot.keys import BotKeys
from shared._awaitable import settle
from shared.state.keys import Keys
from shared.state.records import Origin

__all__ = ["SLACK", "Delivery", "DeliveryStore", "SlackRequest"]

SLACK = "slack"
"""The name this front gives its searches' origin."""

DELIVERY_LEASE = 30
"""Seconds a delivery run's lock lives unless renewed (its heartbeat renews it every 10 s).

Long enough that a live run keeps it through a Redis blip of 10 s (at least 20 s are left
when one starts); short enough that a run whose process died is taken over within it."""
DELIVERY_GRACE = 20
"""Seconds without a heartbeat after which the requeue pass retries a delivery."""
_OPEN_TTL = 30 * 24 * 3600

# KEYS: the search hash, the delivery count, the delivery key prefix ("...:delivery:{rid}:"),
# the once-key an earlier version wrote ("...:delivery-once:{rid}:<once>"). ARGV: TTL
# fallback, the request the delivery answers ("" for none), then the delivery's field/value
# pairs. Numbers the new delivery and stores it with its search's TTL; returns its number
# (the existing one when a delivery of this search already answers that request), or 0 for
# an unknown search. The request is a field of the delivery rather than a key of its own:
# a search has a delivery or two (one per conversation that asked), so looking through
# them costs less than a key per delivery (~150 bytes each).
_ADD = """
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
local once = ARGV[2]
if once ~= '' then
  local earlier = redis.call('GET', KEYS[4])
  if earlier then return tonumber(earlier) end
  local count = tonumber(redis.call('GET', KEYS[2]) or '0')
  for i = 1, count do
    if redis.call('HGET', KEYS[3] .. i, 'once') == once then return i end
  end
end
local ttl = redis.call('TTL', KEYS[1])
if ttl < 1 then ttl = tonumber(ARGV[1]) end
local n = redis.call('INCR', KEYS[2])
redis.call('EXPIRE', KEYS[2], ttl)
local key = KEYS[3] .. n
redis.call('HSET', key, unpack(ARGV, 3))
if once ~= '' then redis.call('HSET', key, 'once', once) end
redis.call('EXPIRE', key, ttl)
return n
"""


@dataclass(frozen=True)
class SlackRequest:
    """Who asked, and where: a ``/leads`` command's workspace, channel and user IDs."""

    team_id: str
    channel_id: str
    user_id: str

    @property
    def origin(self) -> Origin:
        """The search's origin, as the core stores it."""
        return Origin(
            front=SLACK, team_id=self.team_id, channel_id=self.channel_id, user_id=self.user_id
        )


def _ts(value: datetime) -> str:
    return f"{value.timestamp():.3f}"


class Delivery(BaseModel):
    """One answer owed to one Slack request, and how far it has got."""

    delivery_id: str
    request_id: str
    team_id: str
    channel_id: str
    user_id: str
    """Who asked (the parent message names them)."""
    parent_ts: str
    """The visible parent message the thread hangs under."""
    created_at: datetime
    reused: bool = False
    """The search was found for an earlier request and reused for this one (paid once)."""
    shared_by: str | None = None
    """Shared into the channel from an AI assistant (its name), not asked for with /leads."""
    only: list[int] | None = None
    """The positions of the leads to post, when only some were chosen."""
    watch_line: str | None = None
    """A watch's run, not a /leads: its parent says so ("Watch …: 4 new people · …")."""
    parts_posted: int = 0
    """Thread messages already posted: a resumed delivery starts after them."""
    sending: int | None = None
    """The thread message whose post was sent and not yet recorded as posted: a run that
    died there may or may not have put it up (see ``Deliverer``)."""
    status_shown: str | None = None
    """The state the parent message shows now."""
    done: bool = False

    def chosen(self, count: int) -> list[int]:
        """The positions of the leads this answer posts, out of a search's ``count`` leads:
        ``only`` (those in range), or every one."""
        if self.only is None:
            return list(range(count))
        return sorted({position for position in self.only if 0 <= position < count})

    def to_hash(self) -> dict[str, str]:
        """Flat string fields for ``HSET`` (short values: Redis's compact encoding)."""
        fields = {
            "team_id": self.team_id,
            "channel_id": self.channel_id,
            "user_id": self.user_id,
            "parent_ts": self.parent_ts,
            "created_at": _ts(self.created_at),
            "parts_posted": str(self.parts_posted),
        }
        if self.reused:
            fields["reused"] = "1"
        if self.shared_by is not None:
            fields["shared_by"] = self.shared_by[:60]
        if self.only is not None:
            fields["only"] = ",".join(str(position) for position in self.only)
        if self.watch_line is not None:
            fields["watch_line"] = self.watch_line[:200]
        if self.status_shown:
            fields["status_shown"] = self.status_shown
        if self.sending is not None:
            fields["sending"] = str(self.sending)
        if self.done:
            fields["done"] = "1"
        return fields

    @classmethod
    def from_hash(cls, delivery_id: str, fields: dict[str, str]) -> Delivery:
        """Rebuild from its ID and ``HGETALL`` (decoded)."""
        created = fields.get("created_at")
        return cls(
            delivery_id=delivery_id,
            request_id=delivery_id.rpartition(":")[0],
            team_id=fields.get("team_id", ""),
            channel_id=fields.get("channel_id", ""),
            user_id=fields.get("user_id", ""),
            parent_ts=fields.get("parent_ts", ""),
            created_at=datetime.fromtimestamp(float(created), UTC)
            if created
            else datetime.now(UTC),
            reused=fields.get("reused") == "1",
            shared_by=fields.get("shared_by"),
            only=[int(p) for p in fields["only"].split(",") if p.isdigit()]
            if "only" in fields
            else None,
            watch_line=fields.get("watch_line"),
            parts_posted=int(fields.get("parts_posted") or 0),
            status_shown=fields.get("status_shown") or None,
            sending=int(fields["sending"]) if fields.get("sending", "").isdigit() else None,
            done=fields.get("done") == "1",
        )


class DeliveryStore:
    """The bot's deliveries in Redis, behind named operations.

    Args:
        redis: a decoded Redis client (the core's).
        keys: the core's keys, for the prefix and the search a delivery hangs on.
        ttl: how long a delivery is kept when its search has no TTL (the search's).
        lease: seconds a run's lock lives unless its heartbeat renews it.
        grace: seconds without a heartbeat after which a delivery is overdue.
    """

    def __init__(
        self,
        redis: aioredis.Redis,
        keys: Keys,
        *,
        ttl: int,
        lease: int = DELIVERY_LEASE,
        grace: int = DELIVERY_GRACE,
    ) -> None:
        self.redis = redis
        self.search_keys = keys
        self.keys = BotKeys(keys.prefix)
        self.ttl = ttl
        self.lease = lease
        self.grace = grace
        self._add = redis.register_script(_ADD)

    async def add(
        self,
        request_id: str,
        *,
        asker: SlackRequest,
        parent_ts: str,
        reused: bool,
        shared_by: str | None = None,
        only: list[int] | None = None,
        once: str | None = None,
        watch_line: str | None = None,
    ) -> Delivery | None:
        """Owe an answer for this search to a Slack request; it is due at once.

        ``once`` names the request (a ``/leads`` command's ID): adding again with the same
        name returns the delivery already added, so a resumed run never owes two answers.
        Returns None when the search is unknown (it expired from Redis meanwhile).
        """
        draft = Delivery(
            delivery_id=f"{request_id}:0",
            request_id=request_id,
            team_id=asker.team_id,
            channel_id=asker.channel_id,
            user_id=asker.user_id,
            parent_ts=parent_ts,
            created_at=datetime.now(UTC),
            reused=reused,
            shared_by=shared_by,
            only=only,
            watch_line=watch_line,
        )
        pairs = [item for pair in draft.to_hash().items() for item in pair]
        number = int(
            await self._add(
                keys=[
                    self.search_keys.search(request_id),
                    self.keys.delivery_count(request_id),
                    self.keys.delivery(draft.delivery_id).removesuffix("0"),
                    self.keys.delivery_once(request_id, once or "-"),
                ],
                args=[str(self.ttl), once or "", *pairs],
            )
        )
        if number == 0:
            return None
        delivery = draft.model_copy(update={"delivery_id": f"{request_id}:{number}"})
        await self._mark_due([delivery.delivery_id])
        return delivery

    async def ids_of(self, request_id: str) -> list[str]:
        """IDs of the deliveries hanging on a search."""
        count = int(await self.redis.get(self.keys.delivery_count(request_id)) or 0)
        return [f"{request_id}:{n}" for n in range(1, count + 1)]

    async def get(self, delivery_id: str) -> Delivery | None:
        """The delivery, or None."""
        fields: dict[str, str] = await settle(self.redis.hgetall(self.keys.delivery(delivery_id)))
        return Delivery.from_hash(delivery_id, fields) if fields else None

    async def sending_reply(self, delivery_id: str, index: int) -> None:
        """Record that thread reply ``index`` is about to be posted (right before it is)."""
        await settle(self.redis.hset(self.keys.delivery(delivery_id), "sending", str(index)))

    async def reply_posted(self, delivery_id: str, index: int, ts: str) -> None:
        """Record that thread reply ``index`` is up, with its ``ts``, right after posting it."""
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.hset(self.keys.delivery(delivery_id), "parts_posted", str(index + 1))
            pipe.hdel(self.keys.delivery(delivery_id), "sending")
            pipe.rpush(self.keys.thread_replies(delivery_id), ts)
            pipe.expire(self.keys.thread_replies(delivery_id), self.ttl)
            await pipe.execute()

    async def replies(self, delivery_id: str) -> list[str]:
        """The ``ts`` of the thread replies posted so far, in order."""
        found: list[str] = await settle(
            self.redis.lrange(self.keys.thread_replies(delivery_id), 0, -1)
        )
        return found

    async def record(
        self, delivery_id: str, *, parts_posted: int | None = None, status_shown: str | None = None
    ) -> None:
        """Record a step right after it happened, so a resumed run skips it."""
        fields: dict[str, str] = {}
        if parts_posted is not None:
            fields["parts_posted"] = str(parts_posted)
        if status_shown is not None:
            fields["status_shown"] = status_shown
        if fields:
            await settle(self.redis.hset(self.keys.delivery(delivery_id), mapping=fields))

    async def thread_plan(self, delivery_id: str) -> str | None:
        """The delivery's thread plan (JSON), once its cards were first laid out."""
        plan: str | None = await self.redis.get(self.keys.thread_plan(delivery_id))
        return plan

    async def thread_plans(self, delivery_ids: list[str]) -> list[str | None]:
        """The thread plans of several deliveries, in one round trip."""
        async with self.redis.pipeline(transaction=False) as pipe:
            for delivery_id in delivery_ids:
                pipe.get(self.keys.thread_plan(delivery_id))
            plans: list[str | None] = await pipe.execute()
        return plans

    async def keep_thread_plan(self, delivery_id: str, plan: str) -> str:
        """Keep ``plan`` unless the delivery already has one; the plan kept (JSON)."""
        key = self.keys.thread_plan(delivery_id)
        if await self.redis.set(key, plan, ex=self.ttl, nx=True):
            return plan
        kept: str | None = await self.redis.get(key)
        return kept or plan

    async def finish(self, delivery_id: str) -> None:
        """The answer is complete: nothing more is owed."""
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.hset(self.keys.delivery(delivery_id), "done", "1")
            pipe.zrem(self.keys.open_deliveries, delivery_id)
            await pipe.execute()

    async def keep_open(self, delivery_id: str) -> None:
        """Push a running delivery's deadline out (its heartbeat calls this)."""
        await self._mark_due([delivery_id])

    async def drop(self, delivery_id: str) -> None:
        """Forget a delivery that has nothing left to do (finished, or its data expired)."""
        await self.redis.zrem(self.keys.open_deliveries, delivery_id)

    async def overdue(self, *, limit: int) -> list[str]:
        """Deliveries past their deadline (lost jobs, crashed workers); pushes them back."""
        now = time.time()
        ids: list[str] = await self.redis.zrangebyscore(
            self.keys.open_deliveries, "-inf", f"{now:.6f}", start=0, num=limit
        )
        if ids:
            await self._mark_due(ids)
        return ids

    async def _mark_due(self, delivery_ids: Iterable[str]) -> None:
        deadline = time.time() + self.grace
        async with self.redis.pipeline(transaction=False) as pipe:
            pipe.zadd(self.keys.open_deliveries, dict.fromkeys(delivery_ids, deadline))
            pipe.expire(self.keys.open_deliveries, _OPEN_TTL)
            await pipe.execute()

    def lock(self, delivery_id: str) -> aioredis.lock.Lock:
        """A lock that serialises work on one delivery across processes (auto-expires)."""
        return self.redis.lock(
            self.keys.delivery_lock(delivery_id), timeout=self.lease, blocking=False
        )
