"""``share_to_slack``: an assistant posts a search's leads into a team's Slack channel.

The Slack bot does the posting — the same parent, thread and cards as ``/leads``, exactly
once — through a job this tool queues by name on the core's job queue (``bot/share.py``
runs it); the MCP server never imports the bot. The tool waits a short while for the
bot's answer and turns it into one the assistant can act on: the post's link, or what to
do (``/invite @Leads``, the channel's name), or that the bot has not taken it yet.

It is off unless the server has the bot's Slack token (``SLACK_BOT_TOKEN``): a team
decides to let its assistants post into its channels by giving them the token.
"""

from __future__ import annotations

import hashlib
import json
import re
from typing import Any

from arq.connections import ArqRedis
from arq.jobs import Job, ResultNotFound
from mcp.server.mcpserver.exceptions import ToolError

from shared.state.connection import load_job

__all__ = ["INTERRUPTED", "SHARE_JOB", "ShareAnswer", "check_channel", "queue_share"]

SHARE_JOB = "share_to_slack"
"""The bot's job that posts the share (``bot.share.SHARE_JOB``: a test keeps them equal)."""
INTERRUPTED = "share_interrupted"
"""The job's error when an earlier run stopped while posting (``bot.share.IN_DOUBT``)."""
WAIT_SECONDS = 20.0
"""How long the tool waits for the bot's answer before saying it is queued."""

_CHANNEL_ID = re.compile(r"^[CGD][A-Z0-9]{2,}$")
_CHANNEL_NAME = re.compile(r"^#[a-z0-9][a-z0-9._-]{0,79}$")

ShareAnswer = dict[str, Any]
"""What the bot's job answered: ``{"ok": True, "channel_id", "message_ts", "permalink",
"again"}`` or ``{"ok": False, "error"}``; None when it has not answered in time."""

DISABLED = (
    "Sharing to Slack is off on this server: it needs the Slack bot's token. Whoever runs "
    "this MCP server sets SLACK_BOT_TOKEN (the bot's xoxb- token) in its environment — for a "
    'desktop assistant, in the server config\'s "env" — and restarts it.'
)


def check_channel(channel: str) -> str:
    """The channel as the bot will use it (an ID, or ``#name`` lower-cased), or ToolError."""
    candidate = channel.strip()
    if _CHANNEL_ID.match(candidate):
        return candidate
    name = "#" + candidate.removeprefix("#").lower()
    if _CHANNEL_NAME.match(name):
        return name
    raise ToolError(
        f"{candidate[:90]!r} is not a Slack channel: give its #name (e.g. #sales-leads) or its "
        "ID (e.g. C0123ABCD, under the channel's details in Slack)."
    )


async def queue_share(
    jobs: ArqRedis,
    queue: str,
    *,
    request_id: str,
    channel: str,
    positions: list[int] | None,
    assistant: str | None,
) -> ShareAnswer | None:
    """Queue the share (once per search, channel and leads) and wait for the bot's answer."""
    fingerprint = hashlib.sha256(json.dumps([request_id, channel, positions]).encode())
    job_id = f"share:{fingerprint.hexdigest()[:32]}"
    job = await jobs.enqueue_job(
        SHARE_JOB, request_id, channel, positions, assistant, _job_id=job_id, _queue_name=queue
    )
    repeated = job is None
    if job is None:  # queued already, by an earlier identical call: its answer is ours too
        job = Job(job_id, jobs, _queue_name=queue, _deserializer=load_job)
    try:
        answer: ShareAnswer = await job.result(timeout=WAIT_SECONDS, poll_delay=0.1)
    except (TimeoutError, ResultNotFound):
        return None
    return {**answer, "again": True} if repeated and answer.get("ok") else answer
