"""The Person Leads API stand-in: the spec's routes, lifecycle, limits, credits, callbacks
and faults, plus non-spec admin routes under ``/sandbox/``.

:func:`sandbox.server.create_app` composes these into the sandbox's root application.

What the spec leaves open, and what the sandbox does (so a client can rely on it here and
should not rely on it against the real API):

* **Statuses.** ``queued`` 1 s → ``pending`` 4 s → ``analyzing`` 15 s → ``searching`` 60 s
  → ``aggregating`` 25 s → ``completed`` (105 s, like the spec's example), every duration
  divided by ``--speed``. A failed search fails after ``searching`` with
  ``error: {"code": "search_failed", "message": …}``; its GET has no ``completed_on``.
* **Order of checks.** ``fail_requests`` fault → ``latency_ms`` fault → credentials (401)
  → rate limit (429) → body and parameters (400/413) → lookup (404). A request refused
  with 429 does not count; one refused later (400, 404) does.
* **A 500 and the search.** The spec does not say whether a POST answered 500 created a
  search. By default the sandbox's 500 (``fail_requests``) creates nothing; the
  ``fail_after_create`` fault models "a 500 may come after the search was created": the
  search is kept, runs, is charged and calls back, and the POST answers 500.
* **Rate limits.** Sliding windows per key: 60 a minute, 1000 an hour, GETs included;
  windows scale with ``--speed`` (a minute is 60/F s). ``Retry-After`` is whole seconds,
  rounded up, at least 1 — so at high speed it overstates the wait;
  ``GET /sandbox/usage`` gives ``reset_in_seconds`` exactly.
* **Credits.** 1 per completed search with at least one lead, charged when the search
  completes; none for searches that find nothing or fail.
* **Errors beyond the spec's table**, in the same body: 400 ``invalid_json`` (malformed
  or non-object body), 404 ``not_found`` (unknown path), 405 ``method_not_allowed``
  (with ``Allow``), 413 ``payload_too_large`` (bodies over 1 MiB), 400 ``invalid_fault``
  (admin). Unknown body fields and query parameters are ignored, as most APIs do.
  ``search_description`` missing, ``null`` or ``""`` is ``missing_parameters``; not a
  string, or outside 10–2000 characters once trimmed, is ``invalid_search_description``.
* **Callbacks.** The spec's body (results without ``author.image_url``); ``timestamp``
  is the completion time. Retried after 1 s, 5 s, 15 s, 1 min, 5 min on a non-2xx, a
  connection error or a 30 s timeout (all ÷ speed); redirects are not followed.
* **Memory.** The newest 10 000 searches are kept; older ones answer 404.
"""

from sandbox.api.admin import add_admin_routes
from sandbox.api.app import LEADS_PATH, SERVICE, add_api_routes
from sandbox.api.clock import Clock, ManualClock, SystemClock
from sandbox.api.engine import LeadFinder
from sandbox.api.faults import FaultError, Faults
from sandbox.api.service import SandboxSearchService
from sandbox.api.timing import Timing

__all__ = [
    "LEADS_PATH",
    "SERVICE",
    "Clock",
    "FaultError",
    "Faults",
    "LeadFinder",
    "ManualClock",
    "SandboxSearchService",
    "SystemClock",
    "Timing",
    "add_admin_routes",
    "add_api_routes",
]
