"""Settings: the public variable names, defaults, pairing rules and secret hygiene."""

from __future__ import annotations

import logging

import pytest

from shared.settings import Settings, SettingsError, load_settings

ALL_NAMES = [
    "NYNE_API_KEY",
    "NYNE_API_SECRET",
    "NYNE_BASE_URL",
    "REDIS_URL",
    "SLACK_BOT_TOKEN",
    "SLACK_SIGNING_SECRET",
    "SLACK_APP_TOKEN",
    "SLACK_API_URL",
    "PUBLIC_BASE_URL",
    "PORT",
    "MCP_AUTH_TOKEN",
]


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: object) -> None:
    """No stray variables or .env file from the developer's machine."""
    for name in ALL_NAMES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(str(tmp_path))


def test_defaults_mean_sandbox_in_process_store_and_polling() -> None:
    settings = load_settings()
    assert settings.uses_sandbox
    assert settings.nyne_base_url == "https://api.nyne.ai"
    assert settings.slack_api_url == "https://slack.com/api/"
    assert settings.port == 3000
    assert settings.redis_url is None
    assert settings.public_base_url is None


def test_every_public_name_is_read_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    values = {
        "NYNE_API_KEY": "k-123456",
        "NYNE_API_SECRET": "s-123456",
        "NYNE_BASE_URL": "https://api.example.test",
        "REDIS_URL": "redis://:pw@localhost:6379/0",
        "SLACK_BOT_TOKEN": "xoxb-1",
        "SLACK_SIGNING_SECRET": "sig",
        "SLACK_APP_TOKEN": "xapp-1",
        "SLACK_API_URL": "http://127.0.0.1:9/slack/api/",
        "PUBLIC_BASE_URL": "https://leads.example.test",
        "PORT": "8080",
        "MCP_AUTH_TOKEN": "tok",
    }
    for name, value in values.items():
        monkeypatch.setenv(name, value)
    settings = load_settings()
    for name, value in values.items():
        field = getattr(settings, name.lower())
        got = field.get_secret_value() if hasattr(field, "get_secret_value") else field
        assert str(got) == value, name
    assert not settings.uses_sandbox


def test_dotenv_file_is_read(tmp_path: object) -> None:
    from pathlib import Path

    Path(".env").write_text("PORT=4567\nPUBLIC_BASE_URL=https://x.example.test\n")
    settings = load_settings()
    assert settings.port == 4567
    assert settings.public_base_url == "https://x.example.test"


@pytest.mark.parametrize(
    ("present", "missing"),
    [("NYNE_API_KEY", "NYNE_API_SECRET"), ("NYNE_API_SECRET", "NYNE_API_KEY")],
)
def test_credentials_come_in_pairs(
    monkeypatch: pytest.MonkeyPatch, present: str, missing: str
) -> None:
    monkeypatch.setenv(present, "value-123")
    with pytest.raises(SettingsError, match=f"{missing} is not set"):
        load_settings()


def test_invalid_values_name_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PORT", "http")
    monkeypatch.setenv("PUBLIC_BASE_URL", "leads.example.test")
    with pytest.raises(SettingsError) as caught:
        load_settings()
    assert "PORT" in str(caught.value)
    assert "PUBLIC_BASE_URL: must start with http:// or https://" in str(caught.value)


def test_require_names_missing_variables() -> None:
    settings = load_settings()
    with pytest.raises(SettingsError, match="SLACK_BOT_TOKEN, SLACK_SIGNING_SECRET"):
        settings.require("slack_bot_token", "slack_signing_secret")


def test_secrets_never_appear_in_repr(monkeypatch: pytest.MonkeyPatch) -> None:
    secrets = {
        "NYNE_API_KEY": "key-abcdef",
        "NYNE_API_SECRET": "secret-abcdef",
        "SLACK_BOT_TOKEN": "xoxb-abcdef",
        "SLACK_SIGNING_SECRET": "signing-abcdef",
        "MCP_AUTH_TOKEN": "mcp-abcdef",
        "REDIS_URL": "redis://:redispw@host:6379",
    }
    for name, value in secrets.items():
        monkeypatch.setenv(name, value)
    settings = Settings()
    text = repr(settings) + str(settings) + str(settings.model_dump())
    for value in secrets.values():
        assert value not in text


def test_secret_values_lists_every_secret_that_is_set() -> None:
    settings = Settings(
        _env_file=None,
        nyne_api_key="key-abcdef",
        nyne_api_secret="secret-abcdef",
        mcp_auth_token="mcp-abcdef",
        slack_bot_token=None,
    )
    values = settings.secret_values()
    assert {"key-abcdef", "secret-abcdef", "mcp-abcdef"} <= set(values)
    assert None not in values
    assert "https://api.nyne.ai" not in values


def test_blank_values_from_a_copied_env_example_mean_unset() -> None:
    from pathlib import Path

    Path(".env").write_text("NYNE_API_KEY=\nNYNE_API_SECRET=\nREDIS_URL=\nPORT=3000\n")
    settings = load_settings()
    assert settings.uses_sandbox
    assert settings.redis_url is None


@pytest.mark.parametrize(
    ("overrides", "warned"),
    [
        ({}, []),
        ({"public_base_url": "https://leads.example.com/"}, []),
        ({"public_base_url": "http://127.0.0.1:3000/"}, []),
        ({"public_base_url": "http://127.8.9.10/"}, []),
        ({"public_base_url": "http://localhost:3000/"}, []),
        ({"slack_api_url": "http://[::1]:9000/api/"}, []),
        ({"public_base_url": "http://leads.example.com/"}, ["PUBLIC_BASE_URL"]),
        ({"nyne_base_url": "http://10.0.0.5:8080/"}, ["NYNE_BASE_URL"]),
        ({"slack_api_url": "http://0.0.0.0/api/"}, ["SLACK_API_URL"]),
        ({"slack_api_url": "http://[2001:db8::1]/api/"}, ["SLACK_API_URL"]),
        ({"nyne_base_url": "http://localhost.evil.example/"}, ["NYNE_BASE_URL"]),
        (
            {
                "public_base_url": "http://a.example/",
                "nyne_base_url": "http://b.example/",
                "slack_api_url": "http://c.example/",
            },
            ["PUBLIC_BASE_URL", "NYNE_BASE_URL", "SLACK_API_URL"],
        ),
    ],
)
def test_plain_http_to_a_non_loopback_host_is_warned_about(
    overrides: dict[str, str], warned: list[str]
) -> None:
    warnings = Settings(_env_file=None, **overrides).plain_http_warnings()  # type: ignore[arg-type]
    assert [warning.split()[0] for warning in warnings] == warned
    assert all("https://" in warning for warning in warnings)


def test_plain_http_warnings_name_the_host_never_the_credentials() -> None:
    settings = Settings(_env_file=None, public_base_url="http://user:hunter22@leads.example.com/")
    (warning,) = settings.plain_http_warnings()
    assert "leads.example.com" in warning
    assert "hunter22" not in warning
    assert "user" not in warning


@pytest.mark.parametrize(
    ("url", "password"),
    [
        ("redis://:p4ssw0rd-abc@redis.example:6379/0", "p4ssw0rd-abc"),
        ("rediss://user:p4ssw0rd-abc@redis.example:6380", "p4ssw0rd-abc"),
        ("rediss://user:p%40ss%22word@redis.example:6380", 'p@ss"word'),
    ],
)
def test_the_redis_url_password_is_a_secret_of_its_own(url: str, password: str) -> None:
    # Before: only the whole URL was registered, so a line showing the password alone
    # (a client error, a host/credentials pair) kept it.
    from shared.logs import KeyValueFormatter

    settings = Settings(_env_file=None, redis_url=url)
    assert password in settings.secret_values()
    line = KeyValueFormatter(settings.secret_values()).format(
        logging.LogRecord("t", logging.INFO, __file__, 1, "auth failed for %s", (password,), None)
    )
    assert password not in line
    assert "[redacted]" in line


def test_a_redis_url_without_a_password_adds_no_secret() -> None:
    settings = Settings(_env_file=None, redis_url="redis://localhost:6379/0")
    assert settings.secret_values() == ["redis://localhost:6379/0"]
