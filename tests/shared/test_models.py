"""Every example body of the API spec parses into the models, verbatim."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from shared import LeadCallback, Search, SearchAccepted, SearchStatus
from shared.models import ErrorBody, Lead, SuccessEnvelope
from tests.conftest import SpecExample


def test_accepted_example_parses(spec_example: SpecExample) -> None:
    envelope = SuccessEnvelope[SearchAccepted].model_validate(spec_example("post_202"))
    assert envelope.data.status is SearchStatus.QUEUED
    assert len(envelope.data.request_id) == 64
    assert envelope.timestamp == datetime(2026, 1, 14, 15, 30, tzinfo=UTC)


def test_processing_example_parses_with_naive_created_on_as_utc(spec_example: SpecExample) -> None:
    search = SuccessEnvelope[Search].model_validate(spec_example("get_processing")).data
    assert search.status is SearchStatus.SEARCHING
    assert not search.is_terminal
    assert search.created_on == datetime(2026, 1, 14, 15, 30, tzinfo=UTC)
    assert search.results == []


def test_completed_example_parses_every_field(spec_example: SpecExample) -> None:
    search = SuccessEnvelope[Search].model_validate(spec_example("get_completed")).data
    assert search.is_terminal
    assert search.results_count == 15
    assert search.completed_on == datetime(2026, 1, 14, 15, 31, 45, tzinfo=UTC)
    first, second = search.results
    assert (first.platform, second.platform) == ("linkedin", "twitter")
    assert first.author.name == "Sarah Chen"
    assert first.author.image_url == "https://media.licdn.com/dms/image/..."
    assert first.engagement.likes == 234
    assert second.post_date == datetime(2026, 1, 12, 14, 22, tzinfo=UTC)


def test_callback_example_parses_without_image_url(spec_example: SpecExample) -> None:
    callback = LeadCallback.model_validate(spec_example("callback"))
    assert callback.completed is True
    assert callback.status is SearchStatus.COMPLETED
    (lead,) = callback.results
    assert lead.author.image_url is None
    assert lead.author.headline == "CEO & Co-founder at TechStartup"
    search = callback.to_search()
    assert search.request_id == callback.request_id
    assert search.results == callback.results


@pytest.mark.parametrize("status", [s.value for s in SearchStatus])
def test_every_documented_status_parses(status: str) -> None:
    search = Search.model_validate({"request_id": "r", "status": status})
    assert search.status.value == status
    assert search.is_terminal == (status in {"completed", "failed"})


def test_unknown_fields_are_tolerated_and_missing_optional_ones_are_not_required() -> None:
    lead = Lead.model_validate({"platform": "mastodon", "new_field": {"x": 1}})
    assert lead.author.name is None
    assert lead.engagement.likes == 0
    assert lead.post_url is None
    assert lead.model_extra == {"new_field": {"x": 1}}


def test_failed_search_error_accepts_text_or_object() -> None:
    as_object = Search.model_validate(
        {"request_id": "r", "status": "failed", "error": {"code": "x", "message": "boom"}}
    )
    as_text = Search.model_validate({"request_id": "r", "status": "failed", "error": "boom"})
    assert as_object.error == as_text.error == "boom"


def test_error_body_parses() -> None:
    body = ErrorBody.model_validate(
        {
            "success": False,
            "error": {"code": "not_found", "message": "Request ID not found"},
            "timestamp": "2026-01-14T15:30:00Z",
        }
    )
    assert body.error.code == "not_found"


def test_nulls_from_the_api_read_as_defaults() -> None:
    lead = Lead.model_validate(
        {
            "platform": None,
            "post_content": None,
            "post_date": "",
            "author": None,
            "engagement": {"likes": None, "comments": 3, "shares": None},
        }
    )
    assert lead.platform == "unknown"
    assert lead.post_content == ""
    assert lead.post_date is None
    assert lead.author.name is None
    assert (lead.engagement.likes, lead.engagement.comments, lead.engagement.shares) == (0, 3, 0)


def test_one_malformed_lead_is_dropped_not_the_whole_search(spec_example: SpecExample) -> None:
    body = spec_example("callback")
    good = body["results"][0]
    body["results"] = [good, {"engagement": {"likes": "many"}}, "not a lead", good]
    callback = LeadCallback.model_validate(body)
    assert len(callback.results) == 2
    search = Search.model_validate(
        {"request_id": "r", "status": "completed", "created_on": "", "results": None}
    )
    assert search.results == []
    assert search.created_on is None
