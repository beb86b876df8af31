"""The desk's store on a real Redis: every change renews the lead's retention."""

from __future__ import annotations

import time

import redis.asyncio as aioredis

from bot.desk import Claim, DeskStore, lead_key
from bot.keys import BotKeys
from shared._awaitable import settle
from shared.models import Author, Lead

TEAM, CHANNEL, USER = "T0LEADS", "C0LEADS", "U0ALICE"
RETENTION = 90 * 24 * 3600
NEARLY_GONE = 60
"""Seconds left on a lead's state that was last changed almost 90 days ago."""


def a_lead() -> Lead:
    return Lead(
        platform="linkedin",
        post_url="https://linkedin.example/p/1",
        post_content="We are moving our ledger to the cloud this quarter.",
        author=Author(name="Person 1", profile_url="https://linkedin.example/in/p1"),
    )


async def test_release_and_undo_renew_the_leads_retention(redis: aioredis.Redis) -> None:
    desk = DeskStore(redis, "leads", retention=RETENTION)
    lead = a_lead()
    key = lead_key(lead)
    name = BotKeys("leads").desk(TEAM, CHANNEL, key)
    # Shared, claimed and dismissed: after the release and the undo, where it was first
    # shared is still kept (the "shared before" mark), so the hash outlives both.
    await desk.record_shared(TEAM, CHANNEL, [lead], "1.0", None)
    claim = Claim(CHANNEL, key, "r:1", 0, "Person 1", time.time())
    assert await desk.claim(TEAM, USER, claim) is None
    await desk.dismiss(TEAM, CHANNEL, key, USER, "spam")

    await redis.expire(name, NEARLY_GONE)
    assert await desk.release(TEAM, CHANNEL, key, USER) is None
    assert await settle(redis.hget(name, "claimed_by")) is None
    assert await redis.ttl(name) > RETENTION - 60  # renewed, not left to expire in a minute

    await redis.expire(name, NEARLY_GONE)
    await desk.undo_dismiss(TEAM, CHANNEL, key)
    assert await settle(redis.hget(name, "dismissed_by")) is None
    assert await redis.ttl(name) > RETENTION - 60
    assert await settle(redis.hget(name, "shared_ts")) == "1.0"


async def test_a_refused_release_changes_nothing(redis: aioredis.Redis) -> None:
    desk = DeskStore(redis, "leads", retention=RETENTION)
    key = lead_key(a_lead())
    name = BotKeys("leads").desk(TEAM, CHANNEL, key)
    assert await desk.claim(TEAM, "U0BOB", Claim(CHANNEL, key, "r:1", 0, "P", 1.0)) is None
    await redis.expire(name, NEARLY_GONE)
    assert await desk.release(TEAM, CHANNEL, key, USER) == "U0BOB"
    assert await settle(redis.hget(name, "claimed_by")) == "U0BOB"
    assert await redis.ttl(name) <= NEARLY_GONE  # not someone else's change to renew


async def test_a_claim_keeps_its_thread_and_is_found_by_its_card(redis: aioredis.Redis) -> None:
    desk = DeskStore(redis, "leads", retention=RETENTION)
    key = lead_key(a_lead())
    link = "https://leads-sandbox.slack.com/archives/C0LEADS/p1733480000000100"
    claim = Claim(CHANNEL, key, "r:1", 3, "Person 1", 1.0, thread=link)
    assert await desk.claim(TEAM, USER, claim) is None
    assert await desk.listed_claim(TEAM, USER, "r:1|3") == claim
    assert await desk.listed_claim(TEAM, USER, "r:1|4") is None
    assert await desk.listed_claim("T0OTHER", USER, "r:1|3") is None  # per workspace
    (listed,) = await desk.claims_of(TEAM, USER)
    assert listed.thread == link
    # A claim stored before the link was kept still reads (with no link).
    assert Claim.from_json(f"{CHANNEL}|{key}", '{"d": "r:1", "p": 3, "n": "P", "at": 1}') == (
        Claim(CHANNEL, key, "r:1", 3, "P", 1.0)
    )
