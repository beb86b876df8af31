"""The product's settings, read once from the environment and ``.env``.

The variable names are a public interface (see README's settings table). Secrets are
``SecretStr``: they never show in reprs or logs. Entry points call :func:`load_settings`
once and pass the object down; library code takes explicit arguments instead.
"""

from __future__ import annotations

import ipaddress
from pathlib import Path
from typing import Literal
from urllib.parse import unquote, urlsplit

from pydantic import (
    Field,
    FilePath,
    SecretStr,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_settings import BaseSettings, SettingsConfigDict

from shared.client import DEFAULT_BASE_URL

__all__ = [
    "SANDBOX_API_KEY",
    "SANDBOX_API_SECRET",
    "Settings",
    "SettingsError",
    "is_loopback_host",
    "load_settings",
]

SANDBOX_API_KEY = "sandbox-key"
"""The key the local sandbox accepts by default (``python -m sandbox --api-key``)."""
SANDBOX_API_SECRET = "sandbox-secret"  # noqa: S105 - a published local default, not a secret


# What travels to each URL setting, for the plain-http warning.
_URL_TRAFFIC = {
    "public_base_url": "the API's callbacks with search results",
    "nyne_base_url": "the API key and secret, and every search and its leads",
    "slack_api_url": "the Slack bot token and every message",
}


def is_loopback_host(host: str) -> bool:
    """True for ``localhost`` and loopback addresses (127.0.0.0/8, ::1, ``[::1]``)."""
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


class SettingsError(Exception):
    """A setting is missing or invalid. The message names the environment variable."""


class Settings(BaseSettings):
    """Every setting of the product. Field ``foo_bar`` is read from ``FOO_BAR``."""

    model_config = SettingsConfigDict(
        env_file=".env",
        env_file_encoding="utf-8",
        env_ignore_empty=True,  # a copied .env.example with blank values means "unset"
        extra="ignore",
        case_sensitive=False,
    )

    # Person Leads API
    nyne_api_key: SecretStr | None = None
    """API key; unset (with the secret) means the embedded sandbox."""
    nyne_api_secret: SecretStr | None = None
    nyne_base_url: str = DEFAULT_BASE_URL

    # State
    redis_url: SecretStr | None = None
    """Redis connection URL (may hold a password); unset means the in-process store."""
    redis_ssl_cert_reqs: Literal["none", "optional", "required"] | None = None
    """How a ``rediss://`` connection checks the server's certificate (unset: ``required``).

    ``optional`` checks as ``required`` does: a TLS server always sends its certificate, and
    Python's ``ssl`` verifies any certificate a client receives (``CERT_OPTIONAL`` on a client
    is ``CERT_REQUIRED``).

    A setting of its own, not a query parameter in ``REDIS_URL``: add-on providers rotate
    that URL, and a hand edit would not survive the next rotation.
    """
    redis_ssl_ca_certs: FilePath | None = None
    """CA bundle that signed the server's certificate (unset: the system's trusted CAs)."""

    # Slack
    slack_bot_token: SecretStr | None = None
    slack_signing_secret: SecretStr | None = None
    slack_app_token: SecretStr | None = None
    """Socket Mode app-level token; unset means HTTP mode."""
    slack_api_url: str = "https://slack.com/api/"

    # Serving
    public_base_url: str | None = None
    """Where the API can reach our callback receiver; unset means polling only."""
    port: int = Field(default=3000, ge=1, le=65535)
    mcp_auth_token: SecretStr | None = None
    leads_web: Literal["bot", "mcp"] = "bot"
    """What ``leads-web`` (the Procfile's ``web``) serves on ``PORT``: the bot or the MCP server."""

    # Tuning (documented in .env.example; defaults fit the API's published limits)
    leads_rate_limit_per_minute: int = Field(default=60, ge=1)
    leads_rate_limit_per_hour: int = Field(default=1000, ge=1)
    leads_reuse_window_seconds: int = Field(default=3600, ge=0)
    """Identical descriptions within this window reuse the earlier search (0 turns it off)."""
    leads_queue_max_wait_seconds: float = Field(default=600.0, gt=0)
    """An assistant's or a script's search that cannot start at once is queued if it can
    start within this many seconds; past that it is refused with when to come back."""
    leads_desk_retention_days: int = Field(default=90, ge=1)
    """How long the bot's team desk remembers a lead's claim, dismissal and first sharing."""
    leads_spool_dir: Path | None = None
    """Where ``/leads`` commands wait on local disk while Redis is unreachable (default: a
    ``leads-spool-<prefix>`` directory in the system's temporary directory)."""
    leads_watches_per_channel: int = Field(default=20, ge=1)
    """How many watches one channel (or the channel-less scope of MCP and the CLI) may have."""
    leads_watch_budget_share: float = Field(default=0.5, gt=0, le=1)
    """The part of the hourly request budget that watches may plan to use."""
    leads_watch_time_scale: float = Field(default=1.0, gt=0)
    """Multiplies every watch period (0.001 makes an hour 3.6 s): for demos and tests."""
    leads_run_sweep: bool = True
    """Whether ``python -m bot`` runs the background sweep itself (off when workers do)."""
    leads_sandbox_speed: float = Field(default=10.0, gt=0)
    """How much faster than the real API the embedded sandbox runs (its 105 s search: ~10 s)."""
    leads_log_format: Literal["text", "json"] = "text"
    leads_log_level: str = "INFO"

    @field_validator("public_base_url", "nyne_base_url", "slack_api_url")
    @classmethod
    def _http_url(cls, value: str | None) -> str | None:
        if value is None or value == "":
            return None
        if not value.startswith(("http://", "https://")):
            raise ValueError("must start with http:// or https://")
        return value

    @model_validator(mode="after")
    def _credentials_come_in_pairs(self) -> Settings:
        if bool(self.nyne_api_key) != bool(self.nyne_api_secret):
            missing = "NYNE_API_SECRET" if self.nyne_api_key else "NYNE_API_KEY"
            raise ValueError(
                f"{missing} is not set: NYNE_API_KEY and NYNE_API_SECRET go together "
                "(leave both unset to use the local sandbox)"
            )
        return self

    @model_validator(mode="after")
    def _redis_tls_needs_a_tls_url(self) -> Settings:
        # A TLS option next to a plain redis:// URL would be silently ignored, and the
        # person who set it would believe the connection was encrypted or verified.
        tls_options = [
            name
            for name, value in (
                ("REDIS_SSL_CERT_REQS", self.redis_ssl_cert_reqs),
                ("REDIS_SSL_CA_CERTS", self.redis_ssl_ca_certs),
            )
            if value is not None
        ]
        url = self.redis_url.get_secret_value() if self.redis_url else ""
        if tls_options and url and not url.startswith("rediss://"):
            raise ValueError(
                f"{' and '.join(tls_options)} apply only to a TLS connection, but REDIS_URL "
                "does not start with rediss:// (use rediss:// for TLS, or unset them)"
            )
        if self.redis_ssl_ca_certs is not None and self.redis_ssl_cert_reqs == "none":
            raise ValueError(
                "REDIS_SSL_CA_CERTS is set but REDIS_SSL_CERT_REQS=none never checks the "
                "certificate against it (use required, or unset REDIS_SSL_CA_CERTS)"
            )
        return self

    @property
    def uses_sandbox(self) -> bool:
        """True when no API credentials are configured: the fronts use the sandbox."""
        return self.nyne_api_key is None

    def secret_values(self) -> list[str]:
        """The values of every secret that is set (each ``SecretStr``), for log redaction.

        The password inside ``REDIS_URL`` is listed on its own too (as written and
        percent-decoded): a redis client's error or a log of the host and credentials
        shows it without the rest of the URL, and the whole-URL value would not match.
        """
        values = (getattr(self, name) for name in type(self).model_fields)
        secrets = [value.get_secret_value() for value in values if isinstance(value, SecretStr)]
        if self.redis_url is not None:
            secrets.extend(_url_password(self.redis_url.get_secret_value()))
        return secrets

    def plain_http_warnings(self) -> list[str]:
        """A warning for each URL setting that is plain ``http://`` to a non-loopback host.

        Valid but unencrypted: anyone on the path can read or change that traffic. Each
        names the setting and the host only (a URL may carry credentials).
        """
        warnings = []
        for name, carries in _URL_TRAFFIC.items():
            url = getattr(self, name)
            if not url or not url.lower().startswith("http://"):
                continue
            try:
                host = urlsplit(url).hostname or ""
            except ValueError:  # e.g. an unclosed "[": not loopback either
                host = ""
            if is_loopback_host(host):
                continue
            warnings.append(
                f"{name.upper()} uses plain http:// to {host or 'a non-loopback host'}: "
                f"{carries} would travel unencrypted. Use https://."
            )
        return warnings

    def require(self, *names: str) -> None:
        """Fail fast, naming the variables, if any of these settings is unset."""
        missing = [name.upper() for name in names if not getattr(self, name)]
        if missing:
            raise SettingsError(
                f"Missing setting{'s' if len(missing) > 1 else ''}: {', '.join(missing)}. "
                "Set it in the environment or in .env (see .env.example)."
            )


def _url_password(url: str) -> list[str]:
    """The password in ``url``'s userinfo, as written and percent-decoded (none if absent)."""
    try:
        password = urlsplit(url).password
    except ValueError:  # an unparsable URL: redis itself will refuse it
        return []
    if not password:
        return []
    return list(dict.fromkeys([password, unquote(password)]))


def load_settings(**overrides: object) -> Settings:
    """Read settings from the environment and ``.env``; raise :class:`SettingsError` if invalid."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as err:
        problems = []
        for error in err.errors():
            name = ".".join(str(part) for part in error["loc"]).upper()
            message = error["msg"].removeprefix("Value error, ")
            problems.append(f"{name}: {message}" if name else message)
        raise SettingsError("Invalid settings — " + "; ".join(problems)) from None
