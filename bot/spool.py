"""Riding out a Redis blip at the ack: ``/leads`` commands spooled to local disk.

A command is recorded in Redis before its ack (``bot/intake.py``). When Redis does not
answer within the ack budget — a restart, a failover — the command is written to a file in
the spool directory instead (fsynced, then renamed into place), and acknowledged: recorded
on this host, it survives the process. Every bot process on the host drains the spool once
a second: it moves each command into Redis, due at once, so the requeue pass hands it to a
worker, and deletes the file. Two processes never take the same file (``flock``), and
moving is idempotent, so a process that dies half-way leaves nothing done twice.

A command that cannot reach Redis within :data:`PATIENCE` seconds of being received is
given up: the person is told plainly, through the command's ``response_url``, to try again.

The spool lives as long as the host's disk. A platform that replaces the machine while
Redis is down (a Heroku dyno restart) loses what is spooled on it; a process restart,
a SIGKILL or an OOM kill does not.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import logging
import os
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import BinaryIO

from redis.exceptions import RedisError

from bot.intake import Command
from shared._awaitable import stop_task

__all__ = ["PATIENCE", "CommandSpool", "SpoolDrainer"]

log = logging.getLogger(__name__)

PATIENCE = 30.0
"""Seconds a spooled command waits for Redis before the person is told to try again."""
_SUFFIX = ".json"
_ATTEMPT_SECONDS = 2.0


class CommandSpool:
    """Commands waiting on this host's disk for Redis to come back.

    Args:
        directory: where the files go (created if missing; one per host and key prefix).
    """

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    def put(self, command: Command) -> None:
        """Write ``command`` durably (blocking: a few milliseconds; raises ``OSError``)."""
        self.directory.mkdir(parents=True, exist_ok=True, mode=0o700)
        final = self.directory / f"{command.command_id}{_SUFFIX}"
        partial = self.directory / f".{command.command_id}.partial"
        with open(partial, "wb") as file:
            file.write(command.model_dump_json().encode())
            file.flush()
            os.fsync(file.fileno())
        os.replace(partial, final)  # atomic: a reader sees the whole command or nothing

    def waiting(self) -> list[Path]:
        """The spooled commands' files, oldest first."""
        try:
            found = [p for p in self.directory.iterdir() if p.name.endswith(_SUFFIX)]
        except FileNotFoundError:
            return []
        return sorted(found, key=lambda p: p.stat().st_mtime if p.exists() else 0.0)


class SpoolDrainer:
    """Moves spooled commands into Redis once a second, or gives them up past the patience.

    Args:
        spool: this host's spool.
        save: records a command in Redis, due at once (idempotent); raises ``RedisError``.
        give_up: tells the person their command did not start.
        patience: seconds from receipt after which a command is given up.
    """

    def __init__(
        self,
        spool: CommandSpool,
        save: Callable[[Command], Awaitable[object]],
        give_up: Callable[[Command], Awaitable[None]],
        *,
        patience: float | None = None,
        interval: float = 1.0,
    ) -> None:
        self.spool = spool
        self.save = save
        self.give_up = give_up
        self.patience = PATIENCE if patience is None else patience
        self.interval = interval
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        """Drain in the background until :meth:`stop`."""
        self._task = asyncio.create_task(self._loop(), name="leads-spool-drainer")

    async def stop(self) -> None:
        """Stop draining (what is left stays on disk for the next process)."""
        task, self._task = self._task, None
        await stop_task(task)

    async def _loop(self) -> None:
        while True:
            try:
                await self.drain_once()
            except Exception:  # the loop must outlive anything one pass meets
                log.exception("spool pass failed")
            await asyncio.sleep(self.interval)

    async def drain_once(self) -> int:
        """One pass: how many commands left the spool (saved in Redis, or given up)."""
        moved = 0
        for path in await asyncio.to_thread(self.spool.waiting):
            locked = await asyncio.to_thread(_lock, path)
            if locked is None:
                continue
            file, command = locked
            try:
                if await self._move(command):
                    await asyncio.to_thread(path.unlink, True)
                    moved += 1
                else:
                    break  # Redis is still away: the rest would fail the same way
            finally:
                file.close()  # releases the lock
        return moved

    async def _move(self, command: Command) -> bool:
        where = {"command_id": command.command_id, "channel_id": command.channel_id}
        try:
            # Bounded: the Redis client would ride out the blip for 30 s on its own, and
            # the patience is counted from the command's receipt, not from this attempt.
            async with asyncio.timeout(_ATTEMPT_SECONDS):
                await self.save(command)
        except (RedisError, OSError, TimeoutError):
            waited = time.time() - command.received_at.timestamp()
            if waited < self.patience:
                return False
            log.error("Redis away for %.0f s: spooled /leads given up", waited, extra=where)
            await self.give_up(command)
            return True
        log.info("spooled command recorded in Redis", extra=where)
        return True


def _lock(path: Path) -> tuple[BinaryIO, Command] | None:
    """Open and lock ``path``; its command, or None when another process has it or it's gone."""
    try:
        file = open(path, "rb")  # noqa: SIM115 - closed by the caller, which holds the lock
    except FileNotFoundError:
        return None
    try:
        fcntl.flock(file.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        if not path.exists():  # moved by the process that held the lock before us
            file.close()
            return None
        return file, Command.model_validate_json(file.read())
    except BlockingIOError:
        file.close()
        return None
    except ValueError:
        file.close()
        # Set aside once (not retried every second); kept for whoever investigates.
        log.error("unreadable spooled command set aside", extra={"path": str(path)})
        with contextlib.suppress(OSError):
            path.rename(path.with_suffix(".unreadable"))
        return None
