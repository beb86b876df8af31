"""The stand-in workspace: users, channels, messages, files and home tabs, all in memory.

One ``SlackState`` backs one stand-in app. It holds what Slack would hold and records every
visible change in its event log (``state.events``), which tests and the demo read or wait on.
Seeded by default with two people and two channels:

- ``U0ALICE`` (alice) and ``U0BOB`` (bob), plus the bot user ``U0LEADSBOT`` (leads; bot id
  ``B0LEADSBOT``, app ``A0LEADSAPP``);
- ``C0LEADS`` (#leads): alice, bob and the bot are members;
- ``C0RANDOM`` (#random): alice and bob only, so the bot gets ``not_in_channel`` there.

The only token accepted by default is ``xoxb-sandbox-token``.
"""

from __future__ import annotations

import itertools
import secrets
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

from .blockkit import MESSAGE_BLOCKS_TEXT_MAX
from .events import Event, EventKind, EventLog, EventPredicate
from .faults import Faults

DEFAULT_TOKEN = "xoxb-sandbox-token"  # noqa: S105 - a fixed, public sandbox token
#: What auth.test reports in ``x-oauth-scopes``. Without ``chat:write.public`` the bot can
#: only post where it is a member, which is what makes #random answer ``not_in_channel``.
DEFAULT_SCOPES = (
    "commands",
    "chat:write",
    "channels:read",
    "channels:history",
    "channels:join",
    "groups:read",
    "users:read",
    "files:write",
)
#: A response_url may be used this many times, within this many seconds (Slack's rule).
RESPONSE_URL_USES = 5
RESPONSE_URL_TTL = 30 * 60


@dataclass(slots=True)
class User:
    """A workspace member."""

    id: str
    name: str
    real_name: str
    is_bot: bool = False
    tz: str = "Europe/London"

    def to_api(self, team_id: str) -> dict[str, Any]:
        """The ``user`` object of users.info."""
        return {
            "id": self.id,
            "team_id": team_id,
            "name": self.name,
            "deleted": False,
            "real_name": self.real_name,
            "tz": self.tz,
            "tz_label": "Greenwich Mean Time",
            "tz_offset": 0,
            "profile": {
                "real_name": self.real_name,
                "real_name_normalized": self.real_name,
                "display_name": self.name,
                "display_name_normalized": self.name,
                "team": team_id,
            },
            "is_admin": False,
            "is_owner": False,
            "is_bot": self.is_bot,
            "is_app_user": False,
            "updated": 1_700_000_000,
        }


@dataclass(slots=True)
class Channel:
    """A conversation: a public or private channel, or a DM (``is_im``)."""

    id: str
    name: str
    members: set[str] = field(default_factory=set)
    is_private: bool = False
    is_im: bool = False
    topic: str = ""
    purpose: str = ""
    created: int = field(default_factory=lambda: int(time.time()))

    def to_api(self, *, member: str, team_id: str) -> dict[str, Any]:
        """The ``channel`` object of conversations.info, as seen by ``member``."""
        if self.is_im:
            other = next((m for m in self.members if m != member), member)
            return {"id": self.id, "created": self.created, "is_im": True, "user": other}
        return {
            "id": self.id,
            "name": self.name,
            "name_normalized": self.name,
            "is_channel": not self.is_private,
            "is_group": self.is_private,
            "is_im": False,
            "is_mpim": False,
            "is_private": self.is_private,
            "created": self.created,
            "is_archived": False,
            "is_general": False,
            "is_shared": False,
            "is_org_shared": False,
            "is_ext_shared": False,
            "context_team_id": team_id,
            "is_member": member in self.members,
            "topic": {"value": self.topic, "creator": "", "last_set": 0},
            "purpose": {"value": self.purpose, "creator": "", "last_set": 0},
        }


@dataclass(slots=True)
class Revision:
    """What a message said before an edit replaced it."""

    text: str
    blocks: list[Any] | None
    metadata: dict[str, Any] | None
    replaced_at: str


@dataclass(slots=True)
class Message:
    """A message in a channel or thread, with its edit history."""

    channel: str
    ts: str
    user: str
    text: str
    blocks: list[Any] | None = None
    thread_ts: str | None = None
    parent_user_id: str | None = None
    subtype: str | None = None
    metadata: dict[str, Any] | None = None
    files: list[dict[str, Any]] = field(default_factory=list)
    bot_profile: dict[str, Any] | None = None
    reply_broadcast: bool = False
    mrkdwn: bool = True
    unfurl_links: bool | None = None
    unfurl_media: bool | None = None
    edited: dict[str, str] | None = None
    revisions: list[Revision] = field(default_factory=list)
    replies: list[Message] = field(default_factory=list)
    deleted: bool = False

    @property
    def is_reply(self) -> bool:
        """In a thread, and not its parent."""
        return self.thread_ts is not None and self.thread_ts != self.ts

    def to_api(self, *, team_id: str, include_metadata: bool = True) -> dict[str, Any]:
        """The message object Slack's methods return."""
        out: dict[str, Any] = {"type": "message"}
        if self.subtype:
            out["subtype"] = self.subtype
        out.update({"text": self.text, "user": self.user, "ts": self.ts, "team": team_id})
        if self.bot_profile is not None:
            out["bot_id"] = self.bot_profile["id"]
            out["app_id"] = self.bot_profile["app_id"]
            out["bot_profile"] = self.bot_profile
        if self.blocks is not None:
            out["blocks"] = self.blocks
        if self.files:
            out.update({"files": self.files, "upload": True, "display_as_bot": False})
        if self.thread_ts is not None:
            out["thread_ts"] = self.thread_ts
        if self.is_reply and self.parent_user_id:
            out["parent_user_id"] = self.parent_user_id
        live = [r for r in self.replies if not r.deleted]
        if live:
            users = list(dict.fromkeys(r.user for r in live))
            out.update(
                {
                    "reply_count": len(live),
                    "reply_users_count": len(users),
                    "latest_reply": live[-1].ts,
                    "reply_users": users,
                    "is_locked": False,
                    "subscribed": False,
                }
            )
        if self.edited is not None:
            out["edited"] = self.edited
        if self.metadata and include_metadata:
            out["metadata"] = self.metadata
        return out


@dataclass(slots=True)
class Ephemeral:
    """A message only ``user`` sees, in ``channel`` (and maybe a thread)."""

    channel: str
    user: str
    ts: str
    text: str
    blocks: list[Any] | None = None
    thread_ts: str | None = None
    source: str = "chat.postEphemeral"


@dataclass(slots=True)
class FileRecord:
    """A file uploaded through the v2 flow (getUploadURLExternal → upload → complete)."""

    id: str
    name: str
    length: int
    user: str
    title: str = ""
    alt_txt: str | None = None
    snippet_type: str | None = None
    content: bytes | None = None
    created: int = field(default_factory=lambda: int(time.time()))
    completed: bool = False
    #: channel id → message ts where it was shared
    shares: dict[str, list[str]] = field(default_factory=dict)


@dataclass(slots=True)
class HomeView:
    """The App Home tab published for one user."""

    id: str
    user: str
    view: dict[str, Any]
    hash: str


@dataclass(slots=True)
class ResponseUrl:
    """A slash command's response_url: where it answers, how often it was used."""

    token: str
    channel: str
    user: str
    created: float = field(default_factory=time.time)
    uses: int = 0
    #: The last in_channel message it posted (what ``replace_original`` replaces).
    last_ts: str | None = None


class SlackState:
    """Everything the stand-in workspace holds, plus its event log and armed faults."""

    def __init__(
        self,
        *,
        team_id: str = "T0SANDBOX",
        team_name: str = "Leads Sandbox",
        team_domain: str = "leads-sandbox",
        bot_user_id: str = "U0LEADSBOT",
        bot_name: str = "leads",
        bot_id: str = "B0LEADSBOT",
        app_id: str = "A0LEADSAPP",
        tokens: Iterable[str] = (DEFAULT_TOKEN,),
        scopes: Iterable[str] = DEFAULT_SCOPES,
        seed: bool = True,
        max_blocks_text: int = MESSAGE_BLOCKS_TEXT_MAX,
        workspace_url: str | None = None,
    ) -> None:
        self.team_id = team_id
        self.team_name = team_name
        self.team_domain = team_domain
        self.bot_user_id = bot_user_id
        self.bot_name = bot_name
        self.bot_id = bot_id
        self.app_id = app_id
        self.tokens = set(tokens)
        self.scopes = tuple(scopes)
        self.max_blocks_text = max_blocks_text
        # A reserved .example domain: the permalinks look like Slack's but lead nowhere real.
        self.workspace_url = workspace_url or f"https://{team_domain}.slack.example/"
        self.events = EventLog()
        self.faults = Faults()
        self.users: dict[str, User] = {}
        self.channels: dict[str, Channel] = {}
        self.messages: dict[str, dict[str, Message]] = {}
        self.ephemerals: list[Ephemeral] = []
        self.files: dict[str, FileRecord] = {}
        self.upload_tickets: dict[str, str] = {}
        self.home_views: dict[str, HomeView] = {}
        self.response_urls: dict[str, ResponseUrl] = {}
        self._last_ts = (0, 0)
        self._ids = itertools.count(1)
        self.add_user(bot_user_id, bot_name, "Leads", is_bot=True)
        if seed:
            self.add_user("U0ALICE", "alice", "Alice Example")
            self.add_user("U0BOB", "bob", "Bob Example")
            self.add_channel("C0LEADS", "leads", members=("U0ALICE", "U0BOB", bot_user_id))
            self.add_channel("C0RANDOM", "random", members=("U0ALICE", "U0BOB"))

    # -- directory -------------------------------------------------------------------------

    @property
    def bot_profile(self) -> dict[str, Any]:
        """The ``bot_profile`` Slack attaches to the bot's messages."""
        return {
            "id": self.bot_id,
            "app_id": self.app_id,
            "name": self.bot_name,
            "icons": {},
            "deleted": False,
            "updated": 1_700_000_000,
            "team_id": self.team_id,
        }

    def add_user(
        self, user_id: str, name: str, real_name: str = "", *, is_bot: bool = False
    ) -> User:
        """Add (or replace) a workspace member."""
        user = User(user_id, name, real_name or name, is_bot=is_bot)
        self.users[user_id] = user
        return user

    def add_channel(
        self, channel_id: str, name: str, *, members: Iterable[str] = (), is_private: bool = False
    ) -> Channel:
        """Add (or replace) a channel with its members."""
        channel = Channel(channel_id, name, set(members), is_private=is_private)
        self.channels[channel_id] = channel
        self.messages.setdefault(channel_id, {})
        return channel

    def resolve_channel(self, ref: str) -> Channel | None:
        """A channel by ID, by name (``leads`` or ``#leads``), or a user ID's DM with the bot."""
        if ref in self.channels:
            return self.channels[ref]
        name = ref.removeprefix("#")
        for channel in self.channels.values():
            if channel.name == name and not channel.is_im:
                return channel
        if ref in self.users and ref != self.bot_user_id:
            return self._dm_with(ref)
        return None

    def _dm_with(self, user_id: str) -> Channel:
        for channel in self.channels.values():
            if channel.is_im and channel.members == {user_id, self.bot_user_id}:
                return channel
        channel = Channel(f"D0{user_id.removeprefix('U')}", user_id, is_im=True)
        channel.members = {user_id, self.bot_user_id}
        self.channels[channel.id] = channel
        self.messages[channel.id] = {}
        return channel

    def user_names(self) -> dict[str, str]:
        """user id → name, for rendering mentions."""
        return {u.id: u.name for u in self.users.values()}

    def channel_names(self) -> dict[str, str]:
        """channel id → name, for rendering channel links."""
        return {c.id: c.name for c in self.channels.values()}

    def new_id(self, prefix: str) -> str:
        """A fresh Slack-looking ID (``F…``, ``V…``) unique within this state."""
        return f"{prefix}0{next(self._ids):08d}"

    # -- messages --------------------------------------------------------------------------

    def next_ts(self) -> str:
        """A new message timestamp: ``seconds.micros``, strictly increasing, like Slack's."""
        now = time.time()
        current = (int(now), int((now % 1) * 1_000_000))
        if current <= self._last_ts:
            seconds, micros = self._last_ts
            current = (seconds + 1, 0) if micros >= 999_999 else (seconds, micros + 1)
        self._last_ts = current
        return f"{current[0]}.{current[1]:06d}"

    def message(self, channel_id: str, ts: str) -> Message | None:
        """A live message (top-level or reply) by channel and ts."""
        found = self.messages.get(channel_id, {}).get(ts)
        return found if found is not None and not found.deleted else None

    def post_message(
        self,
        channel_id: str,
        *,
        user: str,
        text: str,
        blocks: list[Any] | None = None,
        thread_ts: str | None = None,
        reply_broadcast: bool = False,
        metadata: dict[str, Any] | None = None,
        files: list[dict[str, Any]] | None = None,
        subtype: str | None = None,
        mrkdwn: bool = True,
        unfurl_links: bool | None = None,
        unfurl_media: bool | None = None,
    ) -> Message:
        """Store a message (the bot's when ``user`` is the bot user) and record the event.

        ``thread_ts`` naming a reply is redirected to its parent; naming no message at all
        still stores the reply, in a thread nobody can see — what Slack does with a wrong ts.
        """
        parent = self.message(channel_id, thread_ts) if thread_ts else None
        if parent is not None and parent.is_reply and parent.thread_ts:
            parent = self.message(channel_id, parent.thread_ts) or parent
            thread_ts = parent.ts
        msg = Message(
            channel=channel_id,
            ts=self.next_ts(),
            user=user,
            text=text,
            blocks=blocks,
            thread_ts=thread_ts,
            parent_user_id=parent.user if parent else None,
            subtype=subtype or ("thread_broadcast" if thread_ts and reply_broadcast else None),
            metadata=metadata,
            files=files or [],
            bot_profile=self.bot_profile if user == self.bot_user_id else None,
            reply_broadcast=reply_broadcast,
            mrkdwn=mrkdwn,
            unfurl_links=unfurl_links,
            unfurl_media=unfurl_media,
        )
        self.messages.setdefault(channel_id, {})[msg.ts] = msg
        if parent is not None:
            parent.replies.append(msg)
            if parent.thread_ts is None:
                parent.thread_ts = parent.ts
        self._record("message_posted", msg)
        return msg

    def update_message(
        self,
        msg: Message,
        *,
        text: str,
        blocks: list[Any] | None,
        metadata: dict[str, Any] | None,
        by: str,
    ) -> Message:
        """Replace a message's content, keeping what it said before in ``revisions``."""
        edited_at = self.next_ts()
        msg.revisions.append(Revision(msg.text, msg.blocks, msg.metadata, edited_at))
        msg.text, msg.blocks, msg.metadata = text, blocks, metadata
        msg.edited = {"user": by, "ts": edited_at}
        self._record("message_updated", msg)
        return msg

    def delete_message(self, msg: Message) -> None:
        """Delete a message; a parent with live replies stays behind as a tombstone."""
        if any(not r.deleted for r in msg.replies):
            msg.revisions.append(Revision(msg.text, msg.blocks, msg.metadata, self.next_ts()))
            msg.subtype, msg.text, msg.blocks, msg.files = (
                "tombstone",
                "This message was deleted.",
                None,
                [],
            )
        else:
            msg.deleted = True
        self.events.append(
            "message_deleted",
            channel=msg.channel,
            ts=msg.ts,
            thread_ts=msg.thread_ts,
            user=msg.user,
        )

    def post_ephemeral(
        self,
        channel_id: str,
        *,
        user: str,
        text: str,
        blocks: list[Any] | None = None,
        thread_ts: str | None = None,
        source: str = "chat.postEphemeral",
    ) -> Ephemeral:
        """Show ``user`` a message in a channel that nobody else sees (never stored in history)."""
        ephemeral = Ephemeral(channel_id, user, self.next_ts(), text, blocks, thread_ts, source)
        self.ephemerals.append(ephemeral)
        self.events.append(
            "ephemeral_posted",
            channel=channel_id,
            ts=ephemeral.ts,
            thread_ts=thread_ts,
            user=user,
            payload={"text": text, "blocks": blocks, "source": source},
        )
        return ephemeral

    def history(self, channel_id: str) -> list[Message]:
        """What the channel shows, newest first: top-level messages and broadcast replies."""
        shown = [
            m
            for m in self.messages.get(channel_id, {}).values()
            if not m.deleted and (not m.is_reply or m.reply_broadcast)
        ]
        return sorted(shown, key=lambda m: _ts_key(m.ts), reverse=True)

    def thread(self, channel_id: str, ts: str) -> list[Message]:
        """A thread, oldest first: the parent, then its live replies. [] if no such message.

        ``ts`` may name the parent or any reply in it.
        """
        msg = self.message(channel_id, ts)
        if msg is None:
            return []
        if msg.is_reply and msg.thread_ts:
            parent = self.message(channel_id, msg.thread_ts)
            if parent is None:  # a reply to a ts that never existed: alone in its thread
                return [msg]
            msg = parent
        return [msg, *(r for r in msg.replies if not r.deleted)]

    def permalink(self, channel_id: str, msg: Message) -> str:
        """The message's permalink, in Slack's shape (thread replies carry their parent)."""
        link = f"{self.workspace_url}archives/{channel_id}/p{msg.ts.replace('.', '')}"
        if msg.is_reply:
            link += f"?thread_ts={msg.thread_ts}&cid={channel_id}"
        return link

    # -- response_url ----------------------------------------------------------------------

    def new_response_url(self, base_url: str, channel_id: str, user_id: str) -> str:
        """Mint a response_url for a slash command invoked by ``user_id`` in ``channel_id``.

        ``base_url`` is where this stand-in is mounted (``http://127.0.0.1:PORT/slack``); the
        Web API base (``…/slack/api/``) is accepted too.
        """
        base = base_url.rstrip("/").removesuffix("/api")
        token = secrets.token_urlsafe(16)
        self.response_urls[token] = ResponseUrl(token, channel_id, user_id)
        path = f"{self.team_id}/{int(time.time())}/{token}"
        return f"{base}/responses/{quote(path)}"

    # -- events ----------------------------------------------------------------------------

    @property
    def last_seq(self) -> int:
        """Sequence number of the newest event (take it before an action, wait after)."""
        return self.events.last_seq

    async def wait_for(
        self,
        predicate: EventPredicate | None = None,
        *,
        kind: EventKind | None = None,
        since: int = 0,
        timeout: float = 5.0,
    ) -> Event:
        """Shortcut for ``state.events.wait_for`` (see there)."""
        return await self.events.wait_for(predicate, kind=kind, since=since, timeout=timeout)

    def _record(self, kind: EventKind, msg: Message) -> None:
        self.events.append(
            kind,
            channel=msg.channel,
            ts=msg.ts,
            thread_ts=msg.thread_ts if msg.is_reply else None,
            user=msg.user,
            payload=msg.to_api(team_id=self.team_id),
        )


def _ts_key(ts: str) -> tuple[int, int]:
    seconds, _, micros = ts.partition(".")
    return int(seconds), int(micros or 0)
