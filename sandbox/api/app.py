"""The spec's routes: ``POST /person/leads`` and ``GET /person/leads?request_id=…``.

Every request goes through the same gate, in this order: the ``fail_requests`` fault
(a 500 before anything else, so it creates nothing and counts nothing), the ``latency_ms``
fault, authentication (401), the rate limit (429; GETs count too), then validation (400).
A POST that passes them creates its search; only then may the ``fail_after_create`` fault
turn its 202 into a 500 (see :mod:`sandbox.api.faults`).
"""

from __future__ import annotations

import asyncio

from aiohttp import web

from sandbox.api.auth import credentials_of
from sandbox.api.ratelimit import retry_after_header
from sandbox.api.responses import ApiError, json_response, success_body
from sandbox.api.service import SandboxSearchService
from sandbox.api.validation import read_object, validate_submission

__all__ = ["LEADS_PATH", "SERVICE", "add_api_routes", "authenticate"]

LEADS_PATH = "/person/leads"

SERVICE = web.AppKey("sandbox_service", SandboxSearchService)
"""The root app's :class:`SandboxSearchService`."""

ACCEPTED_MESSAGE = "Lead search request queued for processing."


def add_api_routes(app: web.Application) -> None:
    """Register the spec's two routes on ``app`` (which must hold :data:`SERVICE`)."""
    app.router.add_post(LEADS_PATH, create_search)
    app.router.add_get(LEADS_PATH, get_search, allow_head=False)


def authenticate(request: web.Request, service: SandboxSearchService) -> str:
    """The request's API key, or 401 ``invalid_credentials``."""
    key = service.authenticator.authenticate(*credentials_of(request))
    if key is None:
        raise ApiError.invalid_credentials()
    return key


async def _admit(request: web.Request, service: SandboxSearchService) -> str:
    """Faults, authentication and the rate limit; returns the caller's API key."""
    if service.faults.take("fail_requests"):
        raise ApiError.internal_error()
    if service.faults.latency_ms > 0:
        await asyncio.sleep(service.faults.latency_ms / 1000)
    key = authenticate(request, service)
    decision = service.limiter.hit(key)
    if not decision.allowed:
        service.store.account(key).rate_limited += 1
        raise ApiError.rate_limit_exceeded(
            retry_after_header(decision.retry_after), decision.window
        )
    return key


async def create_search(request: web.Request) -> web.Response:
    """``POST /person/leads``: accept a search, answer 202 ``queued``."""
    service = request.app[SERVICE]
    key = await _admit(request, service)
    description, callback_url = validate_submission(await read_object(request))
    record = service.create(key, description, callback_url)
    if service.faults.take("fail_after_create"):
        # The search is kept and runs on: this models a 500 that comes after creation.
        raise ApiError.internal_error()
    data = {"request_id": record.request_id, "status": "queued", "message": ACCEPTED_MESSAGE}
    return json_response(success_body(data, record.created_wall), status=202)


async def get_search(request: web.Request) -> web.Response:
    """``GET /person/leads?request_id=…``: a search's status and, when done, its results."""
    service = request.app[SERVICE]
    key = await _admit(request, service)
    request_id = request.query.get("request_id", "").strip()
    if not request_id:
        raise ApiError.missing_parameters("request_id")
    record = service.find(key, request_id)
    if record is None:
        raise ApiError.not_found()
    return json_response(await service.body_of(record))
