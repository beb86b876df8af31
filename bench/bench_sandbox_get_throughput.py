"""GET /person/leads throughput of the sandbox on one core, against a bare aiohttp server.

The sandbox (limits off) answers a completed search's GET — the request every poller makes
— inside a helper process pinned to one CPU; a load generator pinned to the other CPU drives
it through keep-alive connections. The baseline is a bare aiohttp handler in that same
process returning the very bytes of that completed answer: same core, same interpreter,
same HTTP stack, same payload, so the ratio is what the sandbox's own work (routing,
authentication, rate-limit gate, status lookup, envelope) costs on top of aiohttp. The two
are measured alternately, several rounds each, and compared by median.
"""

from __future__ import annotations

from bench._procs import Helper, cpu_pair, start_helper
from bench.model import Baseline, Result, at_least
from bench.stats import median

TARGET_RPS = 500.0
CONNECTIONS = 16
CLIENT_SATURATED = 0.9
"""Load generator CPU share above which it, not the server, may be the bottleneck."""


async def _throughput(
    loadgen: Helper, server: Helper, port_key: str, seconds: float
) -> tuple[float, float]:
    """Requests per second served on ``port_key``, and how busy the load generator was."""
    answer = await loadgen.request(
        {
            "port": server.ready[port_key],
            "path": server.ready["path"],
            "headers": server.ready["headers"],
            "seconds": seconds,
            "connections": CONNECTIONS,
        },
        timeout=seconds + 60,
    )
    if answer["errors"]:
        raise RuntimeError(f"{answer['errors']} failed requests against {port_key}")
    elapsed = float(answer["seconds"])
    return float(answer["responses"]) / elapsed, float(answer["cpu_seconds"]) / elapsed


async def run(quick: bool) -> list[Result]:
    """Alternate bare and sandbox load rounds; report medians and their ratio."""
    rounds, seconds, warmup = (1, 0.3, 0.0) if quick else (7, 2.0, 1.0)
    cpus = cpu_pair()
    server_args = ["--cpu", str(cpus[0])] if cpus else []
    client_args = ["--cpu", str(cpus[1])] if cpus else []
    samples: dict[str, list[float]] = {"bare_port": [], "sandbox_port": []}
    client_busy = 0.0
    async with (
        start_helper("bench._leads_server", *server_args) as server,
        start_helper("bench._loadgen", *client_args) as loadgen,
    ):
        if warmup:
            for port_key in samples:
                await _throughput(loadgen, server, port_key, warmup)
        for number in range(rounds):
            order = list(samples) if number % 2 == 0 else list(samples)[::-1]
            for port_key in order:
                rate, busy = await _throughput(loadgen, server, port_key, seconds)
                samples[port_key].append(rate)
                client_busy = max(client_busy, busy)
    bare, sandbox = median(samples["bare_port"]), median(samples["sandbox_port"])
    pinning = (
        f"server pinned to CPU {cpus[0]}, load generator to CPU {cpus[1]}"
        if cpus
        else "not pinned (fewer than 2 CPUs available)"
    )
    saturated = (
        " — it may have held the bare server back, understating the ratio"
        if client_busy > CLIENT_SATURATED
        else ""
    )
    return [
        Result(
            "GET /person/leads (completed search) on one core",
            sandbox,
            "req/s",
            baseline=Baseline("bare aiohttp, same bytes", bare),
            target=at_least(TARGET_RPS),
            note=(
                f"median of {rounds} × {seconds:g} s rounds, {CONNECTIONS} keep-alive "
                f"connections, {server.ready['body_bytes']:,} B body; {pinning}; load "
                f"generator CPU busy up to {client_busy:.0%}{saturated}"
            ),
        )
    ]
