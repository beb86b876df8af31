"""Reading and writing the corpus file: gzip-compressed JSON with the posts in the API's lead shape.

::

    {"format": 1, "seed": 20260114, "reference_date": "2026-11-28T00:00:00Z", "posts": [...]}

Every post is exactly one completed-GET result of the Person Leads API (``platform``,
``post_url``, ``post_content``, ``post_date``, ``author{...}``, ``engagement{...}``).
"""

from __future__ import annotations

import gzip
import json
from importlib import resources
from pathlib import Path
from typing import Any

__all__ = [
    "FORMAT_VERSION",
    "PACKAGED_CORPUS",
    "Post",
    "load_packaged_posts",
    "read_posts",
    "write_posts",
]

Post = dict[str, Any]
"""One post in the API's result shape."""

FORMAT_VERSION = 1
PACKAGED_CORPUS = "corpus.json.gz"
"""File name of the shipped corpus inside the ``sandbox.data`` package."""


def _decode(raw: bytes) -> list[Post]:
    document = json.loads(gzip.decompress(raw))
    if document.get("format") != FORMAT_VERSION:
        raise ValueError(f"unsupported corpus format {document.get('format')!r}")
    posts: list[Post] = document["posts"]
    return posts


def load_packaged_posts() -> list[Post]:
    """The posts of the corpus shipped in ``sandbox/data`` (importlib.resources, zip-safe)."""
    raw = resources.files("sandbox.data").joinpath(PACKAGED_CORPUS).read_bytes()
    return _decode(raw)


def read_posts(path: Path) -> list[Post]:
    """The posts of a corpus file at ``path``."""
    return _decode(path.read_bytes())


def write_posts(posts: list[Post], path: Path, *, seed: int, reference_date: str) -> None:
    """Write ``posts`` to ``path`` byte-for-byte reproducibly (gzip header without a timestamp)."""
    document = {
        "format": FORMAT_VERSION,
        "seed": seed,
        "reference_date": reference_date,
        "posts": posts,
    }
    payload = json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    path.write_bytes(gzip.compress(payload, compresslevel=9, mtime=0))
