"""Generated corpora for the search benchmark, cached under ``bench/results/cache``.

Generating 100,000 posts takes about 20 s, so a corpus is kept on disk in the sandbox's own
corpus format, under a name that changes whenever the generator's code, Faker's version, the
size or the seed do — a stale corpus is never reused.
"""

from __future__ import annotations

import hashlib
import os
from importlib import metadata
from pathlib import Path

import sandbox.corpus
from sandbox.corpus.store import Post, read_posts, write_posts

__all__ = ["CACHE", "generated_posts"]

CACHE = Path(__file__).resolve().parent / "results" / "cache"


def _fingerprint(posts: int, seed: int) -> str:
    digest = hashlib.sha256(f"{posts}/{seed}/faker {metadata.version('faker')}".encode())
    for source in sorted(Path(sandbox.corpus.__file__).parent.glob("*.py")):
        digest.update(source.read_bytes())
    return digest.hexdigest()[:12]


def generated_posts(posts: int) -> tuple[list[Post], bool]:
    """A generated corpus of ``posts`` posts (default seed), and whether it came from the cache."""
    # Imported here: the generator needs Faker (a dev dependency) and is slow to import.
    from sandbox.corpus.generate import DEFAULT_SEED, REFERENCE_DATE, generate_corpus

    path = CACHE / f"corpus-{posts}-{_fingerprint(posts, DEFAULT_SEED)}.json.gz"
    if path.exists():
        return read_posts(path), True
    corpus = generate_corpus(posts=posts, seed=DEFAULT_SEED)
    CACHE.mkdir(parents=True, exist_ok=True)
    for stale in CACHE.glob(f"corpus-{posts}-*.json.gz"):
        stale.unlink(missing_ok=True)  # another run may have got there first
    partial = path.with_name(f"{path.name}.{os.getpid()}.partial")  # concurrent runs
    write_posts(
        corpus,
        partial,
        seed=DEFAULT_SEED,
        reference_date=REFERENCE_DATE.strftime("%Y-%m-%dT%H:%M:%SZ"),
    )
    partial.replace(path)  # atomic: a run killed mid-write leaves no half corpus behind
    return corpus, False
