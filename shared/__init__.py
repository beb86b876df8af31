"""Shared library of the Leads product: the Person Leads API client, settings and state.

It never imports Slack, aiohttp's web server or MCP; the fronts (``bot``, ``mcp_server``,
``cli``) build on it.
"""

from shared.client import DEFAULT_BASE_URL, NyneClient, RequestGate, RequestKind
from shared.errors import (
    APIConnectionError,
    APIError,
    APIResponseValidationError,
    APIStatusError,
    APITimeoutError,
    AuthenticationError,
    BadRequestError,
    InternalServerError,
    InvalidDescriptionError,
    InvalidRequestIdError,
    LeadsError,
    NotFoundError,
    RateLimitError,
    SearchWaitTimeout,
)
from shared.models import (
    Author,
    Engagement,
    Lead,
    LeadCallback,
    Search,
    SearchAccepted,
    SearchStatus,
)

__all__ = [
    "DEFAULT_BASE_URL",
    "APIConnectionError",
    "APIError",
    "APIResponseValidationError",
    "APIStatusError",
    "APITimeoutError",
    "AuthenticationError",
    "Author",
    "BadRequestError",
    "Engagement",
    "InternalServerError",
    "InvalidDescriptionError",
    "InvalidRequestIdError",
    "Lead",
    "LeadCallback",
    "LeadsError",
    "NotFoundError",
    "NyneClient",
    "RateLimitError",
    "RequestGate",
    "RequestKind",
    "Search",
    "SearchAccepted",
    "SearchStatus",
    "SearchWaitTimeout",
]
