"""Redis over TLS (``rediss://``) against a real redis-server with a self-signed certificate.

The certificate is made here, like a managed Redis's own (Heroku Key-Value Store): signed by
a CA the system does not trust. redis-py verifies certificates by default, so an unset
``REDIS_SSL_CERT_REQS`` must fail with a message naming the settings that fix it; ``none``
and ``required`` with the CA bundle must connect; and the store, an arq worker and the
event bus's pub/sub must all work over the connection the settings describe. ``optional``
behaves as ``required`` does: on a client, Python's ``ssl`` treats ``CERT_OPTIONAL`` like
``CERT_REQUIRED`` (the server always sends a certificate, and it is verified).
"""

from __future__ import annotations

import datetime
import ipaddress
import os
import subprocess
import sys
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest
import redis.exceptions
from arq.jobs import Job
from arq.worker import Worker, func
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from shared.runtime import ApiEndpoint, open_runtime
from shared.settings import Settings, SettingsError, load_settings
from shared.state.connection import (
    RedisConnections,
    connect_redis,
    describe_redis_error,
    dump_job,
    load_job,
)
from shared.state.events import EventBus, SearchChange
from shared.state.store import SearchStore
from tests.support.servers import RedisServer, RedisTLSFiles, run_redis_server
from tests.support.waiting import wait_until

ROOT = Path(__file__).resolve().parents[3]

pytestmark = pytest.mark.integration


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def _write_key(path: Path, key: ec.EllipticCurvePrivateKey) -> None:
    path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )


def make_certificates(directory: Path) -> RedisTLSFiles:
    """A throwaway CA, and a server certificate for 127.0.0.1/localhost that it signed."""
    now = datetime.datetime.now(datetime.UTC)
    start, end = now - datetime.timedelta(minutes=5), now + datetime.timedelta(days=1)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_cert = (
        x509.CertificateBuilder(not_valid_before=start, not_valid_after=end)
        .subject_name(_name("Leads test CA"))
        .issuer_name(_name("Leads test CA"))
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                key_cert_sign=True,
                crl_sign=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), False)
        .sign(ca_key, hashes.SHA256())
    )
    server_key = ec.generate_private_key(ec.SECP256R1())
    server_cert = (
        x509.CertificateBuilder(not_valid_before=start, not_valid_after=end)
        .subject_name(_name("localhost"))
        .issuer_name(ca_cert.subject)
        .public_key(server_key.public_key())
        .serial_number(x509.random_serial_number())
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]), critical=False
        )
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), False
        )
        .sign(ca_key, hashes.SHA256())
    )
    files = RedisTLSFiles(
        cert=directory / "server.pem", key=directory / "server-key.pem", ca=directory / "ca.pem"
    )
    files.cert.write_bytes(server_cert.public_bytes(serialization.Encoding.PEM))
    _write_key(files.key, server_key)
    files.ca.write_bytes(ca_cert.public_bytes(serialization.Encoding.PEM))
    return files


@pytest.fixture(scope="module")
def tls_files(tmp_path_factory: pytest.TempPathFactory) -> RedisTLSFiles:
    return make_certificates(tmp_path_factory.mktemp("tls"))


@pytest.fixture(scope="module")
def tls_redis(tls_files: RedisTLSFiles) -> Iterator[RedisServer]:
    """A redis-server that speaks TLS only, with the self-signed certificate."""
    with run_redis_server(tls=tls_files) as server:
        yield server


def tls_settings(server: RedisServer, **tls: Any) -> Settings:
    return load_settings(redis_url=server.url, **tls)


@asynccontextmanager
async def connected(settings: Settings) -> AsyncIterator[RedisConnections]:
    """The clients the product would open for ``settings`` (as ``open_runtime`` does)."""
    assert settings.redis_url is not None
    connections = connect_redis(
        settings.redis_url.get_secret_value(),
        ssl_cert_reqs=settings.redis_ssl_cert_reqs,
        ssl_ca_certs=settings.redis_ssl_ca_certs,
    )
    try:
        yield connections
    finally:
        await connections.aclose()


# "optional" too: a client's CERT_OPTIONAL verifies like CERT_REQUIRED (the README says so).
@pytest.mark.parametrize("cert_reqs", [None, "required", "optional"])
async def test_an_unverifiable_certificate_fails_naming_the_settings_that_fix_it(
    tls_redis: RedisServer, cert_reqs: str | None
) -> None:
    # Unset is the Heroku Key-Value Store case: redis-py verifies by default.
    settings = tls_settings(tls_redis, redis_ssl_cert_reqs=cert_reqs)
    async with connected(settings) as connections:
        with pytest.raises(redis.exceptions.ConnectionError) as caught:
            await connections.redis.ping()
        assert await connections.ping() is False  # what /healthz reports
    message = describe_redis_error(caught.value)
    assert "REDIS_SSL_CERT_REQS=none" in message
    assert "REDIS_SSL_CA_CERTS" in message


async def test_plain_redis_against_a_tls_server_is_explained(tls_redis: RedisServer) -> None:
    url = tls_redis.url.replace("rediss://", "redis://")
    # The server resets each plaintext connection, as a restarting one may: that is ridden
    # out for 30 s, then explained. Here without the wait.
    connections = connect_redis(url, patience=0)
    try:
        with pytest.raises(redis.exceptions.ConnectionError) as caught:
            await connections.redis.ping()
    finally:
        await connections.aclose()
    # A TLS server drops a plaintext client without an answer: the generic sentence.
    assert "REDIS_URL" in describe_redis_error(caught.value)


async def _exercise(connections: RedisConnections) -> None:
    """The store (Lua scripts included), an arq worker's round trip, and pub/sub."""
    store = SearchStore(connections.redis)
    assert await store.recent(5) == []
    assert await store.claim_due_polls(limit=5, lease=1.0) == []  # EVALSHA over TLS

    async def echo(ctx: dict[str, Any], value: str) -> str:
        return value

    job = await connections.arq.enqueue_job("echo", "over tls")
    assert job is not None
    worker = Worker(
        functions=[func(echo, name="echo")],
        redis_pool=connections.new_arq(),  # a second client, as a worker process opens
        job_serializer=dump_job,
        job_deserializer=load_job,
        burst=True,
        poll_delay=0.01,
        handle_signals=False,
    )
    try:
        await worker.main()
    finally:
        await worker.close()
    assert await Job(job.job_id, connections.arq, _deserializer=load_job).result(10) == "over tls"

    here, there = EventBus(connections.redis, "leads:tls"), EventBus(connections.redis, "leads:tls")
    heard: list[SearchChange] = []

    async def listener(change: SearchChange) -> None:
        heard.append(change)

    try:
        await there.subscribe(listener)
        change = SearchChange("b" * 64, "completed", 1)
        await here.publish(change)
        await wait_until(lambda: heard == [change], message="the change over TLS pub/sub")
    finally:
        await here.aclose()
        await there.aclose()


async def test_cert_reqs_none_connects_to_a_self_signed_server(tls_redis: RedisServer) -> None:
    async with connected(tls_settings(tls_redis, redis_ssl_cert_reqs="none")) as connections:
        await connections.redis.flushall()
        await _exercise(connections)


@pytest.mark.parametrize("cert_reqs", ["required", "optional"])
async def test_required_with_the_ca_bundle_verifies_and_connects(
    tls_redis: RedisServer, tls_files: RedisTLSFiles, cert_reqs: str
) -> None:
    settings = tls_settings(
        tls_redis, redis_ssl_cert_reqs=cert_reqs, redis_ssl_ca_certs=str(tls_files.ca)
    )
    async with connected(settings) as connections:
        await connections.redis.flushall()
        await _exercise(connections)


async def test_the_runtime_applies_the_settings(
    tls_redis: RedisServer, tls_files: RedisTLSFiles
) -> None:
    settings = tls_settings(tls_redis, redis_ssl_ca_certs=str(tls_files.ca))
    # Nothing is sent to this API: the test only uses the runtime's Redis.
    endpoint = ApiEndpoint(base_url="http://127.0.0.1:9", api_key="k", api_secret="s")
    async with open_runtime(settings, endpoint=endpoint) as runtime:
        assert await runtime.connections.redis.ping()
        assert await runtime.connections.arq.ping()
        assert await runtime.store.recent(1) is not None


def test_the_cli_explains_an_unverifiable_certificate(
    tls_redis: RedisServer, tmp_path: Path
) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("NYNE_", "REDIS_", "LEADS_"))}
    env.update(PYTHONPATH=str(ROOT), REDIS_URL=tls_redis.url)
    done = subprocess.run(
        [sys.executable, "-c", "from cli.main import main; main()", "status", "a" * 24],
        env=env,
        cwd=tmp_path,  # no .env from the developer's checkout
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 5, done.stderr
    assert "REDIS_SSL_CERT_REQS=none" in done.stderr


@pytest.mark.parametrize(
    ("overrides", "named"),
    [
        ({"redis_ssl_cert_reqs": "maybe"}, "REDIS_SSL_CERT_REQS"),
        ({"redis_ssl_ca_certs": "/nonexistent/ca.pem"}, "REDIS_SSL_CA_CERTS"),
        ({"redis_url": "redis://127.0.0.1:6379/0", "redis_ssl_cert_reqs": "none"}, "rediss://"),
        (
            {"redis_ssl_cert_reqs": "none", "redis_ssl_ca_certs": str(ROOT / "README.md")},
            "REDIS_SSL_CERT_REQS=none",
        ),
    ],
)
def test_bad_tls_settings_are_refused_naming_the_variable(
    overrides: dict[str, str], named: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.chdir(tmp_path)
    for name in ("REDIS_URL", "REDIS_SSL_CERT_REQS", "REDIS_SSL_CA_CERTS"):
        monkeypatch.delenv(name, raising=False)
    values = {"redis_url": "rediss://127.0.0.1:6380/0", **overrides}
    with pytest.raises(SettingsError, match=named.replace(".", r"\.")):
        load_settings(**values)
