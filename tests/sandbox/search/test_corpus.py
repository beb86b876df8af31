"""The shipped synthetic corpus and its generator."""

from __future__ import annotations

import re
import subprocess
import sys
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from sandbox.corpus.generate import REFERENCE_DATE, WINDOW_DAYS, generate_corpus, main
from sandbox.corpus.store import PACKAGED_CORPUS, read_posts
from shared.models import Lead

RESERVED_HOST = re.compile(r"(^|\.)(example|example\.com|example\.org|example\.net)$")
URL = re.compile(r"https?://[^\s<>|]+")
REAL_LOOKING = re.compile(r"linkedin\.com|twitter\.com|(?<![a-z])x\.com|licdn|twimg", re.I)


def host(url: str) -> str:
    return urlsplit(url).hostname or ""


def test_size_authors_and_platforms(shipped_posts: list[dict[str, Any]]) -> None:
    authors = {(p["platform"], p["author"]["username"]) for p in shipped_posts}
    platforms = Counter(p["platform"] for p in shipped_posts)
    assert len(shipped_posts) >= 5000
    assert len(authors) >= 2000
    assert set(platforms) == {"linkedin", "twitter"}
    assert min(platforms.values()) >= 0.25 * len(shipped_posts)


def test_the_file_is_small() -> None:
    from importlib import resources

    size = len(resources.files("sandbox.data").joinpath(PACKAGED_CORPUS).read_bytes())
    assert size < 4_000_000


def test_every_post_has_the_lead_shape(shipped_posts: list[dict[str, Any]]) -> None:
    urls = set()
    for post in shipped_posts:
        lead = Lead.model_validate(post)
        assert lead.platform in {"linkedin", "twitter"}
        assert lead.post_content
        assert lead.author.name
        assert lead.author.headline
        assert set(post["author"]) == {"name", "username", "profile_url", "headline", "image_url"}
        assert set(post["engagement"]) == {"likes", "comments", "shares"}
        urls.add(post["post_url"])
    assert len(urls) == len(shipped_posts)


def test_every_url_is_on_a_reserved_domain(shipped_posts: list[dict[str, Any]]) -> None:
    for post in shipped_posts:
        author = post["author"]
        for url in (post["post_url"], author["profile_url"], author["image_url"]):
            assert url.startswith("https://"), url
            assert RESERVED_HOST.search(host(url)), url
        for url in URL.findall(post["post_content"]):
            assert RESERVED_HOST.search(host(url)), url
        assert not REAL_LOOKING.search(repr(post)), post["post_url"]


def test_dates_are_in_the_window_before_the_reference(shipped_posts: list[dict[str, Any]]) -> None:
    start = REFERENCE_DATE - timedelta(days=WINDOW_DAYS)
    days = set()
    for post in shipped_posts:
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", post["post_date"])
        when = datetime.strptime(post["post_date"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
        assert start <= when < REFERENCE_DATE
        days.add(when.date())
    assert len(days) >= WINDOW_DAYS - 2


def test_text_lengths_fit_each_platform(shipped_posts: list[dict[str, Any]]) -> None:
    tweets = [len(p["post_content"]) for p in shipped_posts if p["platform"] == "twitter"]
    linkedin = [len(p["post_content"]) for p in shipped_posts if p["platform"] == "linkedin"]
    assert max(tweets) <= 280
    assert min(tweets) >= 20
    assert max(linkedin) <= 1500
    assert sum(length >= 1200 for length in linkedin) >= 50  # long posts exist


def test_a_small_share_of_posts_stresses_escaping(shipped_posts: list[dict[str, Any]]) -> None:
    hostile = re.compile(r"<!channel>|<!here>|<!everyone>|<@U\d+>|<https?://[^|>]+\|[^>]*>|[&<>*_]")
    stressing = [p for p in shipped_posts if hostile.search(p["post_content"])]
    assert 0.01 * len(shipped_posts) <= len(stressing) <= 0.03 * len(shipped_posts)
    everything = "\n".join(p["post_content"] for p in stressing)
    for needle in ("<!channel>", "<@U123>", "<https://evil.example|click>", "&", "*", "_", "🚀"):
        assert needle in everything


@pytest.mark.parametrize(
    ("field", "pattern", "minimum"),
    [
        ("headline", r"marketing", 150),
        ("headline", r"director|head of", 200),
        ("headline", r"founder", 200),
        ("headline", r"\bhr\b|human resources|people", 100),
        ("headline", r"real estate|realtor|broker", 100),
        ("headline", r"\bcto\b|chief technology officer", 60),
        ("headline", r"nurse|\brn\b", 60),
        ("headline", r"sales|account executive|\bsdr\b", 100),
        ("headline", r"engineer|developer", 200),
        ("headline", r"product manager|director of product|head of product", 50),
        ("headline", r"recruit|talent", 50),
        ("headline", r"\bcfo\b|finance|accountant|controller", 50),
        ("headline", r"saas|software-as-a-service|b2b software", 150),
        ("headline", r"fintech|payments", 100),
        ("headline", r"healthcare|health|hospital", 100),
        ("headline", r"e-commerce|ecommerce|dtc", 50),
        ("headline", r"cyber|infosec", 30),
        ("headline", r", ca\b|california|san francisco|los angeles", 150),
        ("headline", r", tx\b|texas|austin|houston|dallas", 80),
        ("headline", r"london|berlin|bengaluru|toronto", 50),
        ("post_content", r"\bai\b|chatgpt|llm", 500),
        ("post_content", r"fundrais|investor|seed round|series a", 300),
        ("post_content", r"employee engagement|engagement survey|pulse survey", 80),
        ("post_content", r"\bcrm\b", 150),
        ("post_content", r"cloud migration|migrat", 150),
        ("post_content", r"burnout|burned out|short-staffed", 80),
        ("post_content", r"kubernetes|terraform|devops", 50),
        ("post_content", r"ransomware|phishing|zero trust", 30),
        ("post_content", r"hiring|recruiting", 100),
    ],
)
def test_corpus_covers_roles_industries_topics_and_places(
    shipped_posts: list[dict[str, Any]], field: str, pattern: str, minimum: int
) -> None:
    regex = re.compile(pattern, re.IGNORECASE)
    if field == "headline":
        found = {
            p["author"]["username"] for p in shipped_posts if regex.search(p["author"]["headline"])
        }
    else:
        found = {p["post_url"] for p in shipped_posts if regex.search(p["post_content"])}
    assert len(found) >= minimum


def test_no_single_role_dominates(shipped_posts: list[dict[str, Any]]) -> None:
    headlines = {p["author"]["username"]: p["author"]["headline"] for p in shipped_posts}
    marketing = sum("marketing" in h.lower() for h in headlines.values())
    assert marketing < 0.2 * len(headlines)


def test_generation_is_deterministic() -> None:
    first = generate_corpus(posts=400, seed=7)
    assert first == generate_corpus(posts=400, seed=7)
    assert first != generate_corpus(posts=400, seed=8)
    assert len(first) == 400


def test_the_command_writes_a_readable_corpus(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "corpus.json.gz"
    assert main(["--posts", "150", "--seed", "3", "--out", str(out)]) == 0
    assert "150 posts" in capsys.readouterr().out
    posts = read_posts(out)
    assert posts == generate_corpus(posts=150, seed=3)
    first_bytes = out.read_bytes()
    main(["--posts", "150", "--seed", "3", "--out", str(out)])
    assert out.read_bytes() == first_bytes  # reproducible byte for byte


def test_the_module_runs_as_a_command(tmp_path: Path) -> None:
    out = tmp_path / "c.json.gz"
    subprocess.run(
        [sys.executable, "-m", "sandbox.corpus.generate", "--posts", "60", "--out", str(out)],
        check=True,
        capture_output=True,
        timeout=120,
    )
    assert len(read_posts(out)) == 60


def test_loading_the_engine_does_not_need_faker() -> None:
    code = (
        "import sys; sys.modules['faker'] = None\n"
        "from sandbox.search import SearchEngine\n"
        "assert SearchEngine.from_package().search('CTOs discussing cloud migration')\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=120)
