"""The spool that keeps ``/leads`` commands on disk while Redis is away (``bot/spool.py``)."""

from __future__ import annotations

import fcntl
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import redis.asyncio as aioredis
from redis.exceptions import ConnectionError as RedisConnectionError

from bot.deliveries import SlackRequest
from bot.intake import Command, CommandStore
from bot.keys import BotKeys
from bot.spool import CommandSpool, SpoolDrainer
from shared._awaitable import settle

ASKER = SlackRequest(team_id="T1", channel_id="C1", user_id="U1")
DESCRIPTION = "CTOs at fintech companies discussing cloud migration"


def command(age: float = 0.0) -> Command:
    received = CommandStore.new(ASKER, DESCRIPTION, response_url="https://hooks.example/x")
    return received.model_copy(update={"received_at": datetime.now(UTC) - timedelta(seconds=age)})


class Recorder:
    """Stands in for Redis and the person: what was saved, who was told."""

    def __init__(self, *, redis_up: bool) -> None:
        self.redis_up = redis_up
        self.saved: list[str] = []
        self.told: list[str] = []

    async def save(self, command: Command) -> bool:
        if not self.redis_up:
            raise RedisConnectionError("Connection refused")
        self.saved.append(command.command_id)
        return True

    async def give_up(self, command: Command) -> None:
        self.told.append(command.command_id)

    def drainer(self, spool: CommandSpool) -> SpoolDrainer:
        return SpoolDrainer(spool, self.save, self.give_up, patience=30.0)


def test_a_spooled_command_is_read_back_whole(tmp_path: Path) -> None:
    spool = CommandSpool(tmp_path / "spool")
    kept = command()
    spool.put(kept)
    (path,) = spool.waiting()
    assert Command.model_validate_json(path.read_bytes()) == kept
    assert not list((tmp_path / "spool").glob(".*"))  # no partial file left behind


def test_an_empty_or_missing_spool_has_nothing_waiting(tmp_path: Path) -> None:
    assert CommandSpool(tmp_path / "never-created").waiting() == []


async def test_commands_wait_on_disk_while_redis_is_away(tmp_path: Path) -> None:
    spool = CommandSpool(tmp_path)
    for _ in range(3):
        spool.put(command())
    recorder = Recorder(redis_up=False)
    assert await recorder.drainer(spool).drain_once() == 0
    assert len(spool.waiting()) == 3
    assert recorder.told == []

    recorder.redis_up = True  # back: every command moves to Redis, oldest first
    assert await recorder.drainer(spool).drain_once() == 3
    assert spool.waiting() == []
    assert len(recorder.saved) == 3


async def test_a_command_past_the_patience_is_given_up_and_the_person_told(
    tmp_path: Path,
) -> None:
    spool = CommandSpool(tmp_path)
    old, new = command(age=31), command(age=1)
    spool.put(old)
    spool.put(new)
    recorder = Recorder(redis_up=False)
    await recorder.drainer(spool).drain_once()
    assert recorder.told == [old.command_id]
    assert [p.stem for p in spool.waiting()] == [new.command_id]


async def test_a_command_another_process_holds_is_left_to_it(tmp_path: Path) -> None:
    spool = CommandSpool(tmp_path)
    spool.put(command())
    (path,) = spool.waiting()
    recorder = Recorder(redis_up=True)
    with open(path, "rb") as held:
        fcntl.flock(held.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        assert await recorder.drainer(spool).drain_once() == 0
    assert recorder.saved == []
    assert await recorder.drainer(spool).drain_once() == 1


async def test_an_unreadable_file_is_set_aside_once(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    (tmp_path / "garbage.json").write_text("not a command")
    spool = CommandSpool(tmp_path)
    recorder = Recorder(redis_up=True)
    assert await recorder.drainer(spool).drain_once() == 0
    assert spool.waiting() == []
    assert (tmp_path / "garbage.unreadable").exists()
    assert "unreadable spooled command set aside" in caplog.text


@pytest.mark.integration
async def test_saving_a_command_twice_records_it_once(redis: aioredis.Redis) -> None:
    # A process that dies between saving a spooled command and deleting its file leaves it
    # for the next one, which saves it again: that must not reset a command in progress.
    store = CommandStore(redis, "leads")
    kept = command()
    assert await store.save(kept, due_now=True) is True
    await store.posted(kept.command_id, "1700000000.000100")
    assert await store.save(kept, due_now=True) is False
    stored = await store.get(kept.command_id)
    assert stored is not None
    assert stored.parent_ts == "1700000000.000100"
    assert await settle(redis.zscore(BotKeys().open_commands, kept.command_id)) is not None
