"""The Redis clients' retry policy: ride out a blip, fail at once on a TLS misconfiguration."""

from __future__ import annotations

import ssl

import pytest
from redis.exceptions import ConnectionError as RedisConnectionError

from shared.state.connection import RideOut


class Flaky:
    """Fails ``failures`` times with ``error``, then answers."""

    def __init__(self, failures: int, error: Exception) -> None:
        self.left = failures
        self.error = error
        self.calls = 0
        self.disconnects = 0

    async def do(self) -> str:
        self.calls += 1
        if self.left:
            self.left -= 1
            raise self.error
        return "PONG"

    async def fail(self, error: Exception) -> None:
        self.disconnects += 1


async def test_a_blip_is_ridden_out() -> None:
    flaky = Flaky(3, RedisConnectionError("Connection refused"))
    assert await RideOut(patience=30).call_with_retry(flaky.do, flaky.fail) == "PONG"
    assert (flaky.calls, flaky.disconnects) == (4, 3)


async def test_past_the_patience_the_error_is_raised() -> None:
    flaky = Flaky(1000, RedisConnectionError("Connection refused"))
    with pytest.raises(RedisConnectionError):
        await RideOut(patience=0.5).call_with_retry(flaky.do, flaky.fail)
    assert 1 < flaky.calls < 1000  # retried, then gave up at the deadline


@pytest.mark.parametrize(
    "error",
    [
        ssl.SSLCertVerificationError("certificate verify failed: self-signed certificate"),
        RedisConnectionError("[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed"),
        RedisConnectionError("[SSL: WRONG_VERSION_NUMBER] wrong version number"),
    ],
)
async def test_a_tls_misconfiguration_fails_at_once(error: Exception) -> None:
    flaky = Flaky(1000, error)
    retry = RideOut(patience=30)
    retry.update_supported_errors([OSError])
    with pytest.raises(type(error)):
        await retry.call_with_retry(flaky.do, flaky.fail)
    assert flaky.calls == 1
