"""Non-spec admin routes under ``/sandbox/`` (the real API has none of these).

* ``GET /sandbox`` — what this sandbox is, its speed, its routes and faults.
* ``GET /sandbox/usage`` — credits, searches and rate-limit state of the calling key,
  with ``rate_limited``: how many of its requests were answered 429 (authenticated like
  the API; not rate limited and not counted).
* ``GET /sandbox/searches`` — the calling key's kept searches, oldest first, with their
  request IDs and statuses (authenticated the same way): how a test finds a search whose
  POST never answered 202, e.g. under the ``fail_after_create`` fault.
* ``GET /sandbox/faults`` — faults in force; ``POST`` a JSON object ``{name: value}`` to
  set some; ``DELETE`` to turn all off (``?name=`` for one).
* ``GET /sandbox/callbacks?request_id=…`` — one search's callback attempts; without
  ``request_id``, every callback's summary.
* ``POST /sandbox/reset`` — forget searches, accounts, rate limits, callbacks and faults.

Answers use the API's envelopes (``{"success": true, "data": …}`` / the error body).
"""

from __future__ import annotations

from aiohttp import web

from sandbox.api.app import SERVICE, authenticate
from sandbox.api.faults import FAULT_HELP, FaultError
from sandbox.api.responses import ApiError, json_response, success_body
from sandbox.api.service import SandboxSearchService
from sandbox.api.validation import read_object

__all__ = ["ADMIN_PREFIX", "add_admin_routes"]

ADMIN_PREFIX = "/sandbox"


def add_admin_routes(app: web.Application) -> None:
    """Register the admin routes on ``app`` (which must hold ``SERVICE``)."""
    router = app.router
    router.add_get(ADMIN_PREFIX, info, allow_head=False)
    router.add_get(f"{ADMIN_PREFIX}/usage", usage, allow_head=False)
    router.add_get(f"{ADMIN_PREFIX}/searches", searches, allow_head=False)
    router.add_get(f"{ADMIN_PREFIX}/faults", get_faults, allow_head=False)
    router.add_post(f"{ADMIN_PREFIX}/faults", set_faults)
    router.add_delete(f"{ADMIN_PREFIX}/faults", clear_faults)
    router.add_get(f"{ADMIN_PREFIX}/callbacks", callbacks, allow_head=False)
    router.add_post(f"{ADMIN_PREFIX}/reset", reset)


def _ok(service: SandboxSearchService, data: object, status: int = 200) -> web.Response:
    return json_response(success_body(data, service.clock.now()), status=status)


async def info(request: web.Request) -> web.Response:
    """``GET /sandbox``: a self-description."""
    service = request.app[SERVICE]
    timing = service.timing
    return _ok(
        service,
        {
            "service": "Person Leads API sandbox (not the real API)",
            "speed": service.speed,
            "search_seconds": round(timing.search_seconds, 6),
            "phase_seconds": [round(seconds, 6) for seconds in timing.phase_seconds],
            "rate_limit": {
                window.name: {"limit": window.limit or None, "window_seconds": window.seconds}
                for window in service.limiter.windows
            },
            "routes": {
                "POST /person/leads": "spec: submit a search",
                "GET /person/leads?request_id=": "spec: status and results",
                "GET /sandbox/usage": "credits, searches, rate-limit state (API credentials)",
                "GET /sandbox/searches": "the key's searches and statuses (API credentials)",
                "GET|POST|DELETE /sandbox/faults": "faults in force / set / clear",
                "GET /sandbox/callbacks?request_id=": "callback attempts",
                "POST /sandbox/reset": "forget all state",
                "/slack/api/<method>": "Slack Web API stand-in",
            },
            "faults": FAULT_HELP,
        },
    )


async def usage(request: web.Request) -> web.Response:
    """``GET /sandbox/usage``: the calling key's credits, searches and rate-limit state."""
    service = request.app[SERVICE]
    key = authenticate(request, service)
    return _ok(service, await service.usage(key))


async def searches(request: web.Request) -> web.Response:
    """``GET /sandbox/searches``: the calling key's kept searches, oldest first."""
    service = request.app[SERVICE]
    key = authenticate(request, service)
    listed = [
        {
            "request_id": record.request_id,
            "status": service.status_of(record),
            "created_on": record.created_on,
            "callback_url": record.callback_url,
        }
        for record in service.store.for_key(key)
    ]
    return _ok(service, {"count": len(listed), "searches": listed})


async def get_faults(request: web.Request) -> web.Response:
    """``GET /sandbox/faults``."""
    service = request.app[SERVICE]
    return _ok(service, service.faults.to_json())


async def set_faults(request: web.Request) -> web.Response:
    """``POST /sandbox/faults`` with ``{name: value, ...}``; answers the faults now in force."""
    service = request.app[SERVICE]
    try:
        service.faults.update(await read_object(request))
    except FaultError as err:
        raise ApiError(400, "invalid_fault", str(err)) from None
    return _ok(service, service.faults.to_json())


async def clear_faults(request: web.Request) -> web.Response:
    """``DELETE /sandbox/faults[?name=…]``: turn one fault or all faults off."""
    service = request.app[SERVICE]
    try:
        service.faults.reset(request.query.get("name"))
    except FaultError as err:
        raise ApiError(400, "invalid_fault", str(err)) from None
    return _ok(service, service.faults.to_json())


async def callbacks(request: web.Request) -> web.Response:
    """``GET /sandbox/callbacks[?request_id=…]``: attempts of one callback, or all in brief."""
    service = request.app[SERVICE]
    request_id = request.query.get("request_id", "").strip()
    if request_id:
        entry = service.callbacks.get(request_id)
        if entry is None:
            raise ApiError.not_found("No callback for that request ID")
        return _ok(service, entry.to_json())
    summaries = [
        {
            "request_id": entry.request_id,
            "callback_url": entry.url,
            "state": entry.state,
            "attempts": len(entry.attempts),
        }
        for entry in service.callbacks.all()
    ]
    return _ok(service, {"callbacks": summaries})


async def reset(request: web.Request) -> web.Response:
    """``POST /sandbox/reset``: back to a fresh sandbox (same speed and credentials)."""
    service = request.app[SERVICE]
    await service.reset()
    return _ok(service, {"reset": True})
