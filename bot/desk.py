"""The team lead desk: who claimed a lead, who dismissed it, and where it was shared before.

State is kept per workspace, channel and **lead key** — the author's profile URL, normalized
(or the post's URL when the author has none) — so a claim or a mute follows the person
across searches, and any replica can answer any click. Posts are keyed too, so a post seen
again by another author key still reads as shared before. Keys (``bot/keys.py``) live as
long as ``LEADS_DESK_RETENTION_DAYS`` after their last change.

A claim is atomic (one Lua script): of two people clicking at once, exactly one gets it,
and the other learns who did.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit

import redis.asyncio as aioredis

from bot.keys import BotKeys
from shared._awaitable import settle
from shared.models import Lead

__all__ = [
    "CLICK_MEMORY_SECONDS",
    "REASONS",
    "Claim",
    "DeskState",
    "DeskStore",
    "SharedBefore",
    "lead_key",
    "post_key",
]

REASONS: dict[str, str] = {
    "": "not relevant",
    "role": "wrong role",
    "topic": "wrong topic",
    "competitor": "competitor",
    "spam": "spam",
}
"""Why a lead is not relevant: the short fixed list a card offers (code → words)."""

CLICK_MEMORY_SECONDS = 600
"""How long a click's ``trigger_id`` is remembered: twice Slack's 5-minute signature window,
so a replay stamped anywhere inside it is recognised."""

# KEYS[1]: the lead's desk hash. ARGV: user, now, ttl. Returns '' when the claim is ours
# (new, or already ours), else the user who holds it.
_CLAIM = """
local holder = redis.call('HGET', KEYS[1], 'claimed_by')
if holder and holder ~= ARGV[1] then return holder end
if not holder then
  redis.call('HSET', KEYS[1], 'claimed_by', ARGV[1], 'claimed_at', ARGV[2])
end
redis.call('EXPIRE', KEYS[1], ARGV[3])
return ''
"""

# KEYS[1]: the lead's desk hash. ARGV: user, ttl. Returns '' when released (or nobody held
# it), else the user who holds it (only they may release it). A release is a change: what
# the hash still holds (where it was shared, a dismissal) is kept for ``ttl`` from now.
_RELEASE = """
local holder = redis.call('HGET', KEYS[1], 'claimed_by')
if holder and holder ~= ARGV[1] then return holder end
redis.call('HDEL', KEYS[1], 'claimed_by', 'claimed_at')
redis.call('EXPIRE', KEYS[1], ARGV[2])
return ''
"""


def _normalized(url: str | None) -> str | None:
    """A URL reduced to what names the page: lower-case host without ``www.``, no query,
    fragment or trailing slash. None when it is not an http(s) URL with a host."""
    if not url:
        return None
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return None
    host = (parts.hostname or "").lower().removeprefix("www.")
    if parts.scheme.lower() not in ("http", "https") or not host:
        return None
    return f"{host}{parts.path.rstrip('/')}"


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def lead_key(lead: Lead) -> str:
    """The desk's key for a lead: its author's normalized profile URL, else its post's."""
    author = _normalized(lead.author.profile_url)
    if author is not None:
        return _digest(f"author:{author}")
    post = _normalized(lead.post_url)
    if post is not None:
        return _digest(f"post:{post}")
    # Neither URL: the platform and handle, else the text itself (best effort).
    handle = lead.author.username or lead.author.name or lead.post_content or ""
    return _digest(f"other:{lead.platform}:{handle}")


def post_key(lead: Lead) -> str | None:
    """The desk's key for the post itself, when it has a URL."""
    post = _normalized(lead.post_url)
    return None if post is None else _digest(f"post:{post}")


@dataclass(frozen=True)
class DeskState:
    """A lead's state in one channel now."""

    claimed_by: str | None = None
    claimed_at: float | None = None
    dismissed_by: str | None = None
    dismissed_at: float | None = None
    reason: str = ""
    """A code of :data:`REASONS`."""

    @classmethod
    def from_hash(cls, fields: dict[str, str]) -> DeskState:
        """From the lead's desk hash (decoded ``HGETALL``)."""
        claimed_at, dismissed_at = fields.get("claimed_at"), fields.get("dismissed_at")
        return cls(
            claimed_by=fields.get("claimed_by") or None,
            claimed_at=float(claimed_at) if claimed_at else None,
            dismissed_by=fields.get("dismissed_by") or None,
            dismissed_at=float(dismissed_at) if dismissed_at else None,
            reason=fields.get("reason", "") if fields.get("reason", "") in REASONS else "",
        )

    @property
    def muted(self) -> bool:
        """Marked not relevant: its author is left out of this channel's next results."""
        return self.dismissed_by is not None


@dataclass(frozen=True)
class SharedBefore:
    """Where and when a lead was first posted in this channel, in another thread."""

    at: float
    link: str | None
    """A permalink to that thread's parent, when Slack gave one."""
    parent_ts: str


@dataclass(frozen=True)
class Claim:
    """A lead someone claimed, and where its card is: what their App Home lists."""

    channel_id: str
    lead_key: str
    delivery_id: str
    position: int
    name: str
    """The author's name when claimed (untrusted text, kept short)."""
    at: float
    thread: str | None = None
    """A permalink to the card's thread, when Slack gave one. Kept with the claim because
    the thread's own plan expires with its search (a week), and a claim lives longer."""

    @property
    def ref(self) -> str:
        """The card's reference (``<delivery_id>|<position>``), as its buttons carry it."""
        return f"{self.delivery_id}|{self.position}"

    def to_json(self) -> str:
        """Stored in the person's claims hash."""
        data: dict[str, object] = {
            "d": self.delivery_id,
            "p": self.position,
            "n": self.name[:80],
            "at": self.at,
        }
        if self.thread:
            data["t"] = self.thread
        return json.dumps(data)

    @classmethod
    def from_json(cls, field_name: str, raw: str) -> Claim | None:
        """From its hash field (``<channel>|<lead key>``) and value; None if unreadable."""
        channel_id, _, key = field_name.partition("|")
        try:
            data = json.loads(raw)
            thread = data.get("t")  # absent from claims stored before it was kept
            return cls(
                channel_id,
                key,
                str(data["d"]),
                int(data["p"]),
                str(data["n"]),
                float(data["at"]),
                thread if isinstance(thread, str) and thread else None,
            )
        except (ValueError, KeyError, TypeError, AttributeError):
            return None


class DeskStore:
    """The desk's Redis state, behind named operations.

    Args:
        redis: a decoded Redis client.
        prefix: the key prefix (the core's).
        retention: seconds a lead's desk state is kept after its last change.
    """

    def __init__(self, redis: aioredis.Redis, prefix: str, *, retention: int) -> None:
        self.redis = redis
        self.keys = BotKeys(prefix)
        self.retention = retention
        self._claim = redis.register_script(_CLAIM)
        self._release = redis.register_script(_RELEASE)

    def _key(self, team_id: str, channel_id: str, key: str) -> str:
        return self.keys.desk(team_id, channel_id, key)

    async def first_time(self, click_id: str) -> bool:
        """True the first time a click is taken; False for the same click again.

        A signed request stays valid for 5 minutes, so a captured or retried click could
        otherwise be sent again and again (a Not relevant, then its Undo, then …).
        """
        taken = await self.redis.set(
            self.keys.click(click_id), "1", nx=True, ex=CLICK_MEMORY_SECONDS
        )
        return bool(taken)

    async def states(self, team_id: str, channel_id: str, keys: Sequence[str]) -> list[DeskState]:
        """The current state of each lead key, in one round trip."""
        async with self.redis.pipeline(transaction=False) as pipe:
            for key in keys:
                pipe.hgetall(self._key(team_id, channel_id, key))
            answers: list[dict[str, str]] = await pipe.execute()
        return [DeskState.from_hash(fields) for fields in answers]

    async def shared_before(
        self, team_id: str, channel_id: str, leads: Sequence[Lead], parent_ts: str
    ) -> list[SharedBefore | None]:
        """For each lead, its first sharing in this channel in another thread, if any.

        A lead counts as shared before when its author or its post was posted in this
        channel under another parent message.
        """
        async with self.redis.pipeline(transaction=False) as pipe:
            for lead in leads:
                pipe.hmget(
                    self._key(team_id, channel_id, lead_key(lead)),
                    ["shared_at", "shared_ts", "shared_link"],
                )
                post = post_key(lead)
                pipe.hmget(
                    self._key(team_id, channel_id, post or "none"),
                    ["shared_at", "shared_ts", "shared_link"],
                )
            answers: list[list[str | None]] = await pipe.execute()
        found: list[SharedBefore | None] = []
        for by_author, by_post in zip(answers[::2], answers[1::2], strict=True):
            earlier = [
                SharedBefore(float(at), link or None, ts)
                for at, ts, link in (by_author, by_post)
                if at and ts and ts != parent_ts
            ]
            found.append(min(earlier, key=lambda s: s.at) if earlier else None)
        return found

    async def record_shared(
        self, team_id: str, channel_id: str, leads: Sequence[Lead], parent_ts: str, link: str | None
    ) -> None:
        """Remember that these leads were posted under ``parent_ts`` (first sharing wins)."""
        now = f"{time.time():.3f}"
        async with self.redis.pipeline(transaction=False) as pipe:
            for lead in leads:
                for key in (lead_key(lead), post_key(lead)):
                    if key is None:
                        continue
                    name = self._key(team_id, channel_id, key)
                    pipe.hsetnx(name, "shared_at", now)
                    pipe.hsetnx(name, "shared_ts", parent_ts)
                    if link:
                        pipe.hsetnx(name, "shared_link", link)
                    pipe.expire(name, self.retention)
            await pipe.execute()

    async def claim(
        self,
        team_id: str,
        user_id: str,
        claim: Claim,
    ) -> str | None:
        """Claim a lead for ``user_id``: None when it is theirs now, else who holds it.

        A claim that is theirs is also listed for their App Home.
        """
        holder = await self._claim(
            keys=[self._key(team_id, claim.channel_id, claim.lead_key)],
            args=[user_id, f"{claim.at:.3f}", str(self.retention)],
        )
        if holder:
            return str(holder)
        mine = self.keys.claims_of(team_id, user_id)
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.hset(mine, f"{claim.channel_id}|{claim.lead_key}", claim.to_json())
            pipe.expire(mine, self.retention)
            await pipe.execute()
        return None

    async def release(self, team_id: str, channel_id: str, key: str, user_id: str) -> str | None:
        """Release ``user_id``'s claim: None when released, else who holds it instead."""
        holder = await self._release(
            keys=[self._key(team_id, channel_id, key)], args=[user_id, str(self.retention)]
        )
        if holder:
            return str(holder)
        await settle(self.redis.hdel(self.keys.claims_of(team_id, user_id), f"{channel_id}|{key}"))
        return None

    async def listed_claim(self, team_id: str, user_id: str, ref: str) -> Claim | None:
        """The claim ``user_id``'s App Home lists for the card ``ref``, held or not.

        It says which channel and lead the card is, when the card's own data (its search's
        delivery, results and thread plan) has expired but the claim has not.
        """
        listed: dict[str, str] = await settle(
            self.redis.hgetall(self.keys.claims_of(team_id, user_id))
        )
        for field_name, raw in listed.items():
            claim = Claim.from_json(field_name, raw)
            if claim is not None and claim.ref == ref:
                return claim
        return None

    async def claims_of(self, team_id: str, user_id: str) -> list[Claim]:
        """The leads ``user_id`` holds now, newest first (stale entries are dropped)."""
        mine = self.keys.claims_of(team_id, user_id)
        listed: dict[str, str] = await settle(self.redis.hgetall(mine))
        claims = [c for f, raw in listed.items() if (c := Claim.from_json(f, raw)) is not None]
        async with self.redis.pipeline(transaction=False) as pipe:
            for claim in claims:
                pipe.hget(self._key(team_id, claim.channel_id, claim.lead_key), "claimed_by")
            holders: list[str | None] = await pipe.execute()
        held = [claim for claim, holder in zip(claims, holders, strict=True) if holder == user_id]
        gone = [f"{c.channel_id}|{c.lead_key}" for c in claims if c not in held]
        if gone:  # released elsewhere, or expired with the lead's desk state
            await settle(self.redis.hdel(mine, *gone))
        return sorted(held, key=lambda claim: claim.at, reverse=True)

    async def dismiss(
        self, team_id: str, channel_id: str, key: str, user_id: str, reason: str
    ) -> None:
        """Mark a lead not relevant in this channel (which mutes its author here)."""
        name = self._key(team_id, channel_id, key)
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.hset(
                name,
                mapping={
                    "dismissed_by": user_id,
                    "dismissed_at": f"{time.time():.3f}",
                    "reason": reason if reason in REASONS else "",
                },
            )
            pipe.expire(name, self.retention)
            await pipe.execute()

    async def undo_dismiss(self, team_id: str, channel_id: str, key: str) -> None:
        """Take a "not relevant" back: the author shows in this channel's results again.

        Like every change, it renews the lead's retention (what the hash still holds).
        """
        name = self._key(team_id, channel_id, key)
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.hdel(name, "dismissed_by", "dismissed_at", "reason")
            pipe.expire(name, self.retention)
            await pipe.execute()
