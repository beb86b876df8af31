"""The bot's Slack side: its Web API client (with retries) and the Bolt app.

One ``AsyncWebClient`` per process talks to ``SLACK_API_URL`` (tests point it at the
sandbox's stand-in). Bolt copies its base URL and retry handlers into the per-request
clients it hands to listeners, so every call the bot makes retries the same way:
connection errors twice, and Slack's 429s after their ``Retry-After`` — up to a cap, past
which the call fails and the job that made it is retried later instead of sleeping.
"""

from __future__ import annotations

import asyncio
import logging
import random

from slack_bolt.async_app import AsyncApp
from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncConnectionErrorRetryHandler,
    AsyncRateLimitErrorRetryHandler,
)
from slack_sdk.http_retry.request import HttpRequest
from slack_sdk.http_retry.response import HttpResponse
from slack_sdk.http_retry.state import RetryState
from slack_sdk.web.async_client import AsyncWebClient

from bot import listeners
from bot.context import BotContext, attach_to_bolt
from shared.settings import Settings

__all__ = ["CappedRateLimitRetryHandler", "create_bolt_app", "create_slack_client"]

log = logging.getLogger(__name__)

SLACK_TIMEOUT = 15.0


class CappedRateLimitRetryHandler(AsyncRateLimitErrorRetryHandler):
    """Retries Slack's 429 after its ``Retry-After``, unless that is longer than ``max_wait``.

    slack_sdk's handler sleeps for whatever ``Retry-After`` says; a long one would hold a
    delivery job (and its lock) for minutes. Past the cap the call raises ``SlackApiError``
    and the job queue retries the delivery later, from where it stopped.

    It also adds up to a whole second of jitter to every wait, so a 429 with
    ``Retry-After: 1`` cost 1.5 s on average and up to 2 s — on a delivery's way to its
    thread, a 429 or two made most of a slow answer. Slack asks for ``Retry-After``
    seconds; a quarter of a second of jitter is enough to spread the callers that it held
    back together.
    """

    def __init__(
        self, max_retry_count: int = 3, *, max_wait: float = 30.0, jitter: float = 0.25
    ) -> None:
        super().__init__(max_retry_count=max_retry_count)
        self.max_wait = max_wait
        self.jitter = jitter

    async def prepare_for_next_attempt_async(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> None:
        if response is None:  # only 429 answers get here (see _can_retry_async)
            raise error or RuntimeError("no response to retry")
        state.next_attempt_requested = True
        await asyncio.sleep(_retry_after(response) + self.jitter * random.random())
        state.increment_current_attempt()

    async def _can_retry_async(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> bool:
        if response is None or response.status_code != 429:
            return False
        try:
            return _retry_after(response) <= self.max_wait
        except (ValueError, IndexError):  # not a number of seconds: not retried here
            return False


def _retry_after(response: HttpResponse) -> int:
    """Seconds Slack's 429 asks us to wait (1 without a ``Retry-After``, as slack_sdk).

    Raises ValueError or IndexError when the header is not a whole number of seconds."""
    for name, values in response.headers.items():
        if name.lower() == "retry-after":
            return int(values[0])
    return 1


def create_slack_client(settings: Settings) -> AsyncWebClient:
    """The bot's Web API client for ``SLACK_BOT_TOKEN`` at ``SLACK_API_URL``."""
    token = settings.slack_bot_token.get_secret_value() if settings.slack_bot_token else None
    return AsyncWebClient(
        token=token,
        base_url=settings.slack_api_url,
        timeout=int(SLACK_TIMEOUT),
        retry_handlers=[
            AsyncConnectionErrorRetryHandler(max_retry_count=2),
            CappedRateLimitRetryHandler(max_retry_count=3),
        ],
    )


class _QuietTokenWarning(logging.Filter):
    """Drops Bolt's "token will be unused" warning, which is not about a real problem.

    AsyncApp reads ``SLACK_BOT_TOKEN`` from the environment by itself and warns that it is
    ignored when a client is given — we give one on purpose (our base URL and retries),
    built from that very token.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        return "`token` will be unused" not in record.getMessage()


def create_bolt_app(bot: BotContext) -> AsyncApp:
    """The Bolt app: request verification (HTTP mode), our listeners, our resources.

    ``process_before_response`` stays off: Bolt answers Slack as soon as a listener calls
    ``ack()`` and the listener's work carries on after the answer.
    """
    secret = bot.settings.slack_signing_secret
    bolt_log = logging.getLogger("bot.bolt")
    if not any(isinstance(f, _QuietTokenWarning) for f in bolt_log.filters):
        bolt_log.addFilter(_QuietTokenWarning())
    bolt = AsyncApp(
        client=bot.slack,
        signing_secret=secret.get_secret_value() if secret else None,
        # Socket Mode requests are not signed; HTTP ones must be (no secret, no HTTP route).
        request_verification_enabled=secret is not None,
        process_before_response=False,
        name="leads",
        logger=bolt_log,
    )
    attach_to_bolt(bolt, bot)
    listeners.register(bolt)
    return bolt
