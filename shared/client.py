"""Async client for the Person Leads API.

Usage::

    async with NyneClient(api_key="…", api_secret="…") as client:
        accepted = await client.create_search("CTOs at fintech companies moving to the cloud")
        search = await client.wait_for_search(accepted.request_id, timeout=180)
        for lead in search.results:
            print(lead.author.name, lead.post_url)

Behaviour a caller can rely on:

* The description is validated (10–2000 characters after trimming) before any request.
* Errors are the classes of :mod:`shared.errors`; nothing else escapes except
  programming errors.
* Connection errors, timeouts, 429 and 5xx are retried ``max_retries`` times with
  exponential backoff and jitter. ``Retry-After`` is honoured up to ``max_retry_after``
  seconds; a longer one raises :class:`RateLimitError` at once (with ``retry_after``)
  instead of blocking. 400, 401 and 404 are never retried.
* **A retried POST never creates a second search.** The API has no idempotency key, so
  the client only repeats a POST when the API cannot have accepted the first one: the
  connection failed before the request was sent, or the API answered 429 or 503. After
  a 500 (the spec does not promise that it created nothing), a 502/504 from a gateway,
  or when the answer was lost (read timeout, dropped connection), the search may exist,
  so it raises instead of guessing.
* Every attempt — retries and polls included — first passes the optional ``gate`` (the
  shared rate limiter), because the API counts every request against one budget. A caller
  that wants to hear of a wait for the budget passes ``on_wait`` to :meth:`create_search`.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import re
import time
from collections.abc import Awaitable, Callable
from types import TracebackType
from typing import Any, Self, TypeVar

import httpx
from pydantic import BaseModel, SecretStr, ValidationError

from shared import _retry
from shared._awaitable import settle
from shared.errors import (
    APIConnectionError,
    APIResponseValidationError,
    APITimeoutError,
    InvalidRequestIdError,
    RateLimitError,
    SearchWaitTimeout,
    error_for_response,
)
from shared.models import Search, SearchAccepted, SearchStatus, SuccessEnvelope
from shared.polling import PollSchedule
from shared.state.limiter import RateLimiter, RequestKind, WaitListener
from shared.validation import validate_description

__all__ = ["DEFAULT_BASE_URL", "NyneClient", "StatusCallback"]

log = logging.getLogger(__name__)

DEFAULT_BASE_URL = "https://api.nyne.ai"
LEADS_PATH = "/person/leads"
USER_AGENT = "leads/0.1 (+python-httpx)"

StatusCallback = Callable[[Search], Awaitable[None] | None]
"""Called with the search each time its status changes while waiting."""

_REQUEST_ID = re.compile(r"^[A-Za-z0-9_-]{1,128}$")

ModelT = TypeVar("ModelT", bound=BaseModel)


def _secret(value: str | SecretStr) -> str:
    return value.get_secret_value() if isinstance(value, SecretStr) else value


def check_request_id(request_id: str) -> str:
    """Return the request ID trimmed, or raise :class:`InvalidRequestIdError`."""
    candidate = request_id.strip() if isinstance(request_id, str) else ""
    if not _REQUEST_ID.match(candidate):
        raise InvalidRequestIdError(
            "That is not a request ID: it should look like the 64-character hex "
            "ID returned when the search was submitted."
        )
    return candidate


class NyneClient:
    """Async client for the Person Leads API over one long-lived ``httpx.AsyncClient``.

    Use it as an async context manager, or call :meth:`aclose` when done.

    Args:
        api_key: the account's API key (``NYNE_API_KEY``).
        api_secret: the account's API secret (``NYNE_API_SECRET``).
        base_url: the API's base URL.
        timeout: seconds for each request (connect time is capped at 5 s).
        max_retries: extra attempts after a retryable failure.
        max_retry_after: the longest ``Retry-After`` to sleep through.
        gate: the shared rate limiter every request must pass first (None: no limit).
        schedule: when :meth:`wait_for_search` polls.
        transport: an optional httpx transport (tests pass ``httpx.MockTransport``).
    """

    def __init__(
        self,
        *,
        api_key: str | SecretStr,
        api_secret: str | SecretStr,
        base_url: str = DEFAULT_BASE_URL,
        timeout: float = 30.0,
        max_retries: int = 2,
        max_retry_after: float = _retry.MAX_RETRY_AFTER,
        gate: RateLimiter | None = None,
        schedule: PollSchedule | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        if max_retries < 0:
            raise ValueError("max_retries must be zero or more")
        self.base_url = base_url.rstrip("/")
        self.max_retries = max_retries
        self.max_retry_after = max_retry_after
        self.gate = gate
        self.schedule = schedule or PollSchedule()
        self._http = httpx.AsyncClient(
            base_url=self.base_url,
            timeout=httpx.Timeout(timeout, connect=min(5.0, timeout)),
            headers={
                "X-API-Key": _secret(api_key),
                "X-API-Secret": _secret(api_secret),
                "User-Agent": USER_AGENT,
                "Accept": "application/json",
            },
            transport=transport,
        )
        # Indirections so tests can freeze time instead of sleeping.
        self._sleep: Callable[[float], Awaitable[None]] = asyncio.sleep
        self._now: Callable[[], float] = time.monotonic

    def __repr__(self) -> str:
        return f"NyneClient(base_url={self.base_url!r}, max_retries={self.max_retries})"

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close the underlying connection pool."""
        await self._http.aclose()

    async def create_search(
        self,
        description: str,
        *,
        callback_url: str | None = None,
        on_wait: WaitListener | None = None,
        kind: RequestKind = "submit",
    ) -> SearchAccepted:
        """Submit a search; returns the accepted search (``request_id``, ``status="queued"``).

        Raises :class:`InvalidDescriptionError` before any request when the description,
        trimmed, is not 10–2000 characters. ``on_wait(seconds)`` hears of every wait for
        the rate limiter before it starts (the bot tells the person when it will run).
        ``kind="watch"`` submits with a watch's lower priority in the rate limiter.
        """
        body: dict[str, Any] = {"search_description": validate_description(description)}
        if callback_url is not None:
            body["callback_url"] = callback_url
        accepted = await self._request(
            "POST", SearchAccepted, json=body, on_wait=on_wait, kind=kind
        )
        log.info("search submitted", extra={"request_id": accepted.request_id})
        return accepted

    async def get_search(self, request_id: str, *, kind: RequestKind = "poll") -> Search:
        """Fetch a search's status and, once completed, its results.

        ``kind`` is what the ``gate`` counts it as: ``"spare"`` for an optional poll that
        only goes when the budget is idle (refused at once with :class:`RateLimitError`
        otherwise, nothing sent).
        """
        return await self._request(
            "GET", Search, params={"request_id": check_request_id(request_id)}, kind=kind
        )

    async def wait_for_search(
        self,
        request_id: str,
        *,
        timeout: float,
        on_status: StatusCallback | None = None,
    ) -> Search:
        """Poll until the search is completed or failed, and return it.

        Polls on the product's one :class:`~shared.polling.PollSchedule` (1, 2, 4, 8, 15 s,
        then every 30 s): each GET counts against the API's 60/min limit, so a search that
        takes ~1 s costs two polls and a long one about two a minute. ``on_status`` (sync or
        async) is called on every
        status change. Raises :class:`SearchWaitTimeout` when ``timeout`` seconds pass
        first; the search itself carries on.
        """
        request_id = check_request_id(request_id)
        started = self._now()
        deadline = started + timeout
        last_status: SearchStatus | None = None
        for polls_done in itertools.count():
            delay = self.schedule.delay(polls_done, has_callback=False)
            remaining = deadline - self._now()
            if remaining <= 0:
                raise SearchWaitTimeout(
                    request_id, last_status and last_status.value, self._now() - started
                )
            await self._sleep(min(delay, remaining))
            search = await self.get_search(request_id)
            if search.status != last_status:
                last_status = search.status
                if on_status is not None:
                    await settle(on_status(search))
            if search.is_terminal:
                return search
        raise AssertionError("unreachable: itertools.count() never ends")  # pragma: no cover

    async def _request(
        self,
        method: _retry.Method,
        model: type[ModelT],
        *,
        params: dict[str, str] | None = None,
        json: dict[str, Any] | None = None,
        on_wait: WaitListener | None = None,
        kind: RequestKind | None = None,
    ) -> ModelT:
        if kind is None:
            kind = "submit" if method == "POST" else "poll"
        retries_done = 0
        while True:
            if self.gate is not None:
                await self.gate.acquire(kind, on_wait=on_wait)
            try:
                response = await self._http.request(method, LEADS_PATH, params=params, json=json)
            except httpx.TransportError as err:
                sent = not isinstance(err, httpx.ConnectError | httpx.ConnectTimeout)
                sent = sent and not isinstance(err, httpx.PoolTimeout)
                if retries_done < self.max_retries and _retry.should_retry_exception(
                    method, request_sent=sent
                ):
                    delay = _retry.backoff_delay(retries_done)
                    log.warning(
                        "retrying after %s (%s %s, retry %d in %.2fs)",
                        type(err).__name__,
                        method,
                        LEADS_PATH,
                        retries_done + 1,
                        delay,
                    )
                    retries_done += 1
                    await self._sleep(delay)
                    continue
                if isinstance(err, httpx.TimeoutException):
                    raise APITimeoutError(
                        "The Person Leads API did not answer in time.", request=err.request
                    ) from err
                raise APIConnectionError(
                    "Could not reach the Person Leads API.", request=err.request
                ) from err

            if response.is_success:
                return self._parse(response, model)

            retry_after = _retry.parse_retry_after(dict(response.headers))
            error = error_for_response(response, retry_after=retry_after)
            if retries_done < self.max_retries and _retry.should_retry_status(
                method, response.status_code
            ):
                pause = _retry.retry_delay(
                    retries_done, retry_after, max_retry_after=self.max_retry_after
                )
                if pause is not None:
                    log.warning(
                        "retrying after HTTP %d (%s %s, retry %d in %.2fs)",
                        response.status_code,
                        method,
                        LEADS_PATH,
                        retries_done + 1,
                        pause,
                    )
                    retries_done += 1
                    await self._sleep(pause)
                    continue
            if isinstance(error, RateLimitError) and retry_after is None:
                # Tell the caller something useful even when the API gave no hint.
                error.retry_after = _retry.backoff_delay(retries_done, jitter=0.0)
            raise error

    @staticmethod
    def _parse(response: httpx.Response, model: type[ModelT]) -> ModelT:
        try:
            body = response.json()
        except ValueError as err:
            raise APIResponseValidationError(
                "The Person Leads API answered with something that is not JSON.",
                response=response,
                body=response.text[:500],
            ) from err
        try:
            envelope = SuccessEnvelope[model].model_validate(body)  # type: ignore[valid-type]
        except ValidationError as err:
            raise APIResponseValidationError(
                "The Person Leads API answered in an unexpected shape.",
                response=response,
                body=body,
            ) from err
        data: ModelT = envelope.data
        return data
