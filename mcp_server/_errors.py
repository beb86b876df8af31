"""Expected failures as tool errors: one sentence saying what happened and what to do.

The calling model reads these, so each names the limit, the wait or the setting involved.
Tracebacks go to the server's log (stderr), never to the client.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Iterator
from contextlib import contextmanager

from mcp.server.mcpserver.exceptions import ToolError
from redis.exceptions import RedisError

from mcp_server.views import ERROR_CHARS, clean_text
from shared.errors import (
    APIError,
    AuthenticationError,
    BadRequestError,
    InternalServerError,
    InvalidDescriptionError,
    InvalidRequestIdError,
    LookupLimitError,
    NotFoundError,
    QueueFullError,
    RateLimitError,
)
from shared.validation import MAX_DESCRIPTION_LENGTH, MIN_DESCRIPTION_LENGTH

__all__ = ["tool_errors"]

log = logging.getLogger(__name__)


def _retry_in(seconds: float | None) -> str:
    if seconds is None:
        return "retry in about a minute"
    return f"retry in {max(1, math.ceil(seconds))} s"


@contextmanager
def tool_errors(request_id: str | None = None) -> Iterator[None]:
    """Turn the errors of the shared layer into :class:`ToolError` with actionable text."""
    try:
        yield
    except InvalidDescriptionError as err:
        raise ToolError(
            f"The description must be {MIN_DESCRIPTION_LENGTH}–{MAX_DESCRIPTION_LENGTH} "
            f"characters; got {err.length}. Describe the people you want in plain English, "
            'e.g. "CTOs at fintech companies discussing cloud migration".'
        ) from err
    except InvalidRequestIdError as err:
        raise ToolError(
            "That is not a request ID: use the request_id that search_leads returned (64 hex "
            "characters), or call list_searches to find it."
        ) from err
    except NotFoundError as err:
        raise ToolError(
            f"Unknown request ID {request_id or ''}: neither this server nor the Person Leads "
            "API knows that search. Call list_searches to see recent searches."
        ) from err
    except LookupLimitError as err:
        raise ToolError(
            "Too many lookups of unknown searches from this client; "
            f"try again in {err.retry_after} s. Call list_searches to find a known request_id."
        ) from err
    except QueueFullError as err:
        raise ToolError(
            f"Not queued: {err.message} Call search_leads again then; nothing was started."
        ) from err
    except RateLimitError as err:
        raise ToolError(
            "Rate limited: the Person Leads API request budget shared by every Leads client "
            f"is used up; {_retry_in(err.retry_after)}."
        ) from err
    except AuthenticationError as err:
        log.error("the API refused our credentials; check NYNE_API_KEY and NYNE_API_SECRET")
        raise ToolError(
            "The Person Leads API refused this server's credentials (NYNE_API_KEY / "
            "NYNE_API_SECRET). Retrying will not help: whoever runs this MCP server must fix "
            "those settings."
        ) from err
    except BadRequestError as err:
        # The API's own words, which are untrusted text like any other it sends.
        reason, _ = clean_text(err.message, ERROR_CHARS)
        raise ToolError(f"The Person Leads API rejected the request: {reason}") from err
    except InternalServerError as err:
        # Not retried: a POST answered 5xx may have created the search, and a second POST a
        # second, billed one. No request_id came back, so this server cannot look for it.
        log.warning("the API failed (HTTP %d)", err.status_code, exc_info=True)
        if err.request is not None and err.request.method != "POST":
            raise ToolError(
                "The Person Leads API failed (an error on its side); try again in a minute."
            ) from err
        raise ToolError(
            "The Person Leads API failed while taking this search (an error on its side). It "
            "may or may not have created it, and sent back no request_id, so list_searches "
            "cannot show it and Leads did not send it again. Tell the person; call search_leads "
            "again only if they still want it, as that may run the search twice."
        ) from err
    except APIError as err:
        log.warning("API unavailable: %s", type(err).__name__, exc_info=True)
        raise ToolError(
            "The Person Leads API is unavailable right now; try again in a minute."
        ) from err
    except RedisError as err:
        log.exception("search store unavailable")
        raise ToolError(
            "The search store (Redis) is unavailable right now; try again in a minute."
        ) from err
