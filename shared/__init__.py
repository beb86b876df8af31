"""The front-agnostic core of Leads: the Person Leads API client, models, errors, settings,
logs, the search lifecycle and its Redis state, and the one policy for untrusted text.

It never imports a front (``bot``, ``mcp_server``, ``cli``), Slack, MCP or the sandbox;
the fronts build on it (import-linter contracts in ``pyproject.toml`` keep it so).
"""

from shared.client import DEFAULT_BASE_URL, NyneClient
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
    "Search",
    "SearchAccepted",
    "SearchStatus",
    "SearchWaitTimeout",
]
