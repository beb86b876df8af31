"""Validation and normalisation of search descriptions, shared by every front."""

from __future__ import annotations

import hashlib
import re
import unicodedata

from shared.errors import InvalidDescriptionError

__all__ = [
    "MAX_DESCRIPTION_LENGTH",
    "MIN_DESCRIPTION_LENGTH",
    "description_fingerprint",
    "validate_description",
]

MIN_DESCRIPTION_LENGTH = 10
MAX_DESCRIPTION_LENGTH = 2000

_SPACES = re.compile(r"\s+")


def validate_description(description: str) -> str:
    """Return the description trimmed, or raise if it is not 10–2000 characters.

    The limits are the API's; checking them here means a bad description costs no request.
    """
    if not isinstance(description, str):
        raise InvalidDescriptionError("The search description must be text.", length=0)
    text = description.strip()
    length = len(text)
    if length < MIN_DESCRIPTION_LENGTH or length > MAX_DESCRIPTION_LENGTH:
        problem = "too short" if length < MIN_DESCRIPTION_LENGTH else "too long"
        raise InvalidDescriptionError(
            f"The search description is {problem} ({length} characters): describe who you "
            f"are looking for in {MIN_DESCRIPTION_LENGTH}–{MAX_DESCRIPTION_LENGTH} characters.",
            length=length,
        )
    return text


def description_fingerprint(description: str) -> str:
    """A stable key for "the same search": case, accents' forms and spacing folded.

    Two descriptions with the same fingerprint would make the API do the same work, so
    an earlier search can be reused instead of spending a request and a credit.
    """
    folded = unicodedata.normalize("NFKC", description).casefold()
    folded = _SPACES.sub(" ", folded).strip(" .!?")
    # 128 bits of SHA-256: collisions are out of reach, and the Redis key stays short.
    return hashlib.sha256(folded.encode("utf-8")).hexdigest()[:32]
