"""Generate the sandbox's synthetic corpus of social posts, deterministically from a seed.

    python -m sandbox.corpus.generate [--posts N] [--seed S] [--out PATH]

People are drawn from archetypes (role × seniority × industry × place, see :mod:`.people`),
names come from Faker, and posts are composed from topic sentences with filled slots, so the
same seed always gives the same corpus. Every URL is on a reserved ``.example`` domain. Post
dates fall in the :data:`WINDOW_DAYS` days before :data:`REFERENCE_DATE`, never "now".

A small share of posts is hostile on purpose: markup characters, emoji, Slack control
sequences (``<!channel>``, ``<@U123>``, ``<https://evil.example|click>``) and copy-paste
spam, so that escaping and deduplication downstream have something to chew on.
"""

from __future__ import annotations

import argparse
import hashlib
import random
import re
import sys
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from faker import Faker

import sandbox.data as data_package
from sandbox.corpus import people, phrasebook
from sandbox.corpus.store import PACKAGED_CORPUS, Post, write_posts

__all__ = [
    "DEFAULT_POSTS",
    "DEFAULT_SEED",
    "REFERENCE_DATE",
    "WINDOW_DAYS",
    "generate_corpus",
    "main",
]

DEFAULT_POSTS = 9000
DEFAULT_SEED = 20260114
REFERENCE_DATE = datetime(2026, 11, 28, tzinfo=UTC)
"""Posts are dated in the window before this instant (fixed, so the corpus is reproducible)."""
WINDOW_DAYS = 90
POSTS_PER_AUTHOR = 3
"""Average; the real count per author is skewed (a few prolific posters, many occasional)."""

LINKEDIN_MAX = 1500
"""Longest LinkedIn post we generate: long enough to exercise message-size limits downstream."""
TWEET_MAX = 280

_LOCALES = (
    "en_US",
    "en_US",
    "en_US",
    "en_GB",
    "en_IN",
    "en_CA",
    "en_AU",
    "es_ES",
    "de_DE",
    "fr_FR",
    "it_IT",
    "pt_BR",
    "nl_NL",
    "es_MX",
)
_SPAM_SHARE = 1 / 300
"""Share of authors who are spammers (each posts a few near-identical spam posts)."""
_STRESS_SHARE = 0.012
"""Share of ordinary posts that get markup, emoji or Slack control sequences woven in."""
_COPY_SHARE = 0.01
"""Share of posts that are another author's post copied with a line added (near-duplicates)."""
_COPY_PREFIXES = (
    "Reposting because this is gold:\n\n",
    "This. 👇\n\n",
    "100% agree with this:\n\n",
    "Saving this for later.\n\n",
    "Couldn't have said it better:\n\n",
)
_TWITTER_EPOCH_MS = 1288834974657


def _weighted(rng: random.Random, table: Mapping[str, float]) -> str:
    keys = list(table)
    return rng.choices(keys, weights=[table[k] for k in keys])[0]


def _in_prose(name: str) -> str:
    """A title or label as it reads mid-sentence: "Head of People" → "head of people", but
    acronyms and brand casing stay ("CTO", "B2B SaaS")."""
    return " ".join(w if any(c.isupper() for c in w[1:]) else w.lower() for w in name.split())


def _ascii(text: str) -> str:
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")


@dataclass(slots=True)
class _Person:
    name: str
    username: str
    platform: str
    archetype: str
    band: int
    """Seniority band index within the archetype (0 = most junior)."""
    title: str
    company: str
    industry: str
    city: str
    region: str
    headline: str
    topics: dict[str, float]
    activity: float
    spammer: bool = False

    @property
    def profile_url(self) -> str:
        if self.platform == "linkedin":
            return f"https://linkedin.example/in/{self.username}"
        return f"https://x.example/{self.username}"

    @property
    def image_url(self) -> str:
        digest = hashlib.sha256(f"{self.platform}:{self.username}".encode()).hexdigest()[:16]
        return f"https://images.example/avatars/{digest}.jpg"

    def author(self) -> dict[str, str]:
        return {
            "name": self.name,
            "username": self.username,
            "profile_url": self.profile_url,
            "headline": self.headline,
            "image_url": self.image_url,
        }


class _Slots(dict[str, str]):
    """Fills ``{slot}`` placeholders for one post: persona values, numbers, or table picks."""

    def __init__(self, person: _Person, rng: random.Random) -> None:
        super().__init__(
            company=person.company,
            city=person.city,
            industry=_in_prose(people.INDUSTRIES[person.industry].labels[0]),
            title=person.title,
            title_lower=_in_prose(person.title),
        )
        self._rng = rng

    def __missing__(self, key: str) -> str:
        rng = self._rng
        # Numbers are drawn afresh each time: one post rarely repeats a number.
        match key:
            case "n":
                return str(rng.randint(2, 12))
            case "n2":
                return str(rng.randint(15, 90))
            case "pct":
                return f"{rng.randint(5, 60)}%"
            case "money":
                return rng.choice(("$750K", "$1.2M", "$2M", "$3.5M", "$4M", "$8M", "$12M"))
            case "license":
                return str(rng.randint(1000000, 2999999))
        if key.endswith("2") and key[:-1] in phrasebook.SLOTS:
            # A second, different pick of the same slot ("compare {crm_tool} and {crm_tool2}").
            first = self[key[:-1]]
            value = rng.choice([v for v in phrasebook.SLOTS[key[:-1]] if v != first] or [first])
        else:
            value = rng.choice(phrasebook.SLOTS[key])
        self[key] = value  # the same product, cloud or tool throughout one post
        return value


def _fill(template: str, slots: _Slots) -> str:
    return template.format_map(slots)


class _Generator:
    """One generation run: all randomness flows from ``seed``."""

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        self.fakers: dict[str, Faker] = {}
        for i, locale in enumerate(sorted(set(_LOCALES))):
            fake = Faker(locale)
            fake.seed_instance(seed + i)
            self.fakers[locale] = fake
        self.usernames: set[tuple[str, str]] = set()
        self.post_ids: set[int] = set()

    # -- people -------------------------------------------------------------------------

    def _name(self) -> tuple[str, str]:
        fake = self.fakers[self.rng.choice(_LOCALES)]
        return fake.first_name(), fake.last_name()

    def _username(self, platform: str, first: str, last: str) -> str:
        rng = self.rng
        a = re.sub(r"[^a-z0-9]", "", _ascii(first).lower()) or "user"
        b = re.sub(r"[^a-z0-9]", "", _ascii(last).lower()) or "x"
        if platform == "linkedin":
            base = f"{a}-{b}"
            candidate = base if rng.random() < 0.3 else f"{base}-{rng.randrange(16**6):06x}"
        else:
            styles = (
                f"{a}{b}",
                f"{a}_{b[:1]}",
                f"{a}builds",
                f"the{b}",
                f"{a}{b[:3]}",
                f"{a[:1]}{b}",
                f"{a}_{b}",
            )
            candidate = rng.choice(styles)[:15]
        while (platform, candidate) in self.usernames:
            suffix = str(rng.randint(2, 999))
            candidate = candidate[: 15 - len(suffix)] if platform == "twitter" else candidate
            candidate += suffix
        self.usernames.add((platform, candidate))
        return candidate

    def _company(self, industry: str, last: str) -> str:
        rng = self.rng
        style = people.INDUSTRIES[industry].company_style
        first_parts, second_parts = people.COMPANY_PARTS[style]
        if style == "realty" and rng.random() < 0.3:
            return f"{last} Realty Group"
        return rng.choice(first_parts) + rng.choice(second_parts)

    def _headline(self, person: _Person, arch: people.Archetype, state: str) -> str:
        rng = self.rng
        label = rng.choice(people.INDUSTRIES[person.industry].labels)
        tagline = _fill(rng.choice(arch.taglines), _Slots(person, rng)) if arch.taglines else ""
        show_place = rng.random() < arch.show_location
        place = f"{person.city}, {state}" if person.city != state else person.city
        if person.platform == "linkedin":
            sep = rng.choice((" at ", " @ ", ", "))
            parts = [f"{person.title}{sep}{person.company}"]
            if rng.random() < arch.show_industry:
                parts.append(label)
            if person.archetype not in {"realtor", "nurse", "physician", "educator"} and (
                rng.random() < 0.2
            ):
                parts.append(f"ex-{rng.choice(people.PREVIOUS_EMPLOYERS)}")
            if tagline and rng.random() < 0.35:
                parts.append(tagline)
            if show_place:
                parts.append(place)
            return " | ".join(parts)
        handle = re.sub(r"[^A-Za-z0-9]", "", _ascii(person.company))
        style = rng.randrange(3)
        if style == 0 and tagline:
            text = f"{tagline} | {person.title} @{handle}"
        elif style == 1:
            text = f"{person.title} at {person.company}. {tagline}".rstrip(". ")
            text += "" if text.endswith(("!", "?")) else "."
        else:
            text = f"{person.title} @{handle} · {label}"
        return f"{text} 📍 {place}" if show_place else text

    def person(self, *, spammer: bool = False) -> _Person:
        rng = self.rng
        first, last = self._name()
        if spammer:
            platform = rng.choice(("linkedin", "twitter"))
            return _Person(
                name=f"{first} {last}",
                username=self._username(platform, first, last),
                platform=platform,
                archetype="spam",
                band=0,
                title="",
                company="",
                industry="saas",
                city="",
                region="",
                headline=rng.choice(phrasebook.SPAM_HEADLINES),
                topics={},
                activity=1.0,
                spammer=True,
            )
        key = _weighted(rng, {k: a.weight for k, a in people.ARCHETYPES.items()})
        arch = people.ARCHETYPES[key]
        band = rng.choices(range(len(arch.titles)), weights=[w for w, _ in arch.titles])[0]
        title = rng.choice(arch.titles[band][1])
        industry = _weighted(rng, arch.industries)
        region = _weighted(rng, arch.locations or people.DEFAULT_LOCATIONS)
        city, state = rng.choice(people.LOCATIONS[region])
        platform = "linkedin" if rng.random() < arch.linkedin_share else "twitter"
        # Each person has a favourite topic or two, so their posts hang together.
        topics = {k: w for k, w in arch.topics.items()}
        for generic, weight in people.GENERIC_TOPICS.items():
            topics[generic] = topics.get(generic, 0) + weight
        for favourite in rng.sample(sorted(arch.topics), k=min(2, len(arch.topics))):
            topics[favourite] *= 2.5
        person = _Person(
            name=f"{first} {last}",
            username=self._username(platform, first, last),
            platform=platform,
            archetype=key,
            band=band,
            title=title,
            company=self._company(industry, last),
            industry=industry,
            city=city,
            region=region,
            headline="",
            topics=topics,
            activity=rng.lognormvariate(0, 0.8),
        )
        person.headline = self._headline(person, arch, state)
        return person

    # -- posts ---------------------------------------------------------------------------

    def _date(self) -> datetime:
        rng = self.rng
        day = rng.randrange(WINDOW_DAYS)
        # People post in (their) working hours, mostly; UTC spreads that over the day.
        hour = rng.choices(
            range(24),
            weights=[1, 1, 1, 1, 1, 2, 3, 5, 7, 8, 8, 7, 7, 8, 8, 8, 7, 6, 5, 4, 3, 2, 2, 1],
        )[0]
        start = REFERENCE_DATE - timedelta(days=day + 1)
        return start + timedelta(hours=hour, minutes=rng.randrange(60), seconds=rng.randrange(60))

    def _post_id(self, platform: str, when: datetime) -> int:
        rng = self.rng
        while True:
            if platform == "twitter":
                millis = int(when.timestamp() * 1000) - _TWITTER_EPOCH_MS
                post_id = (millis << 22) | rng.getrandbits(22)
            else:
                post_id = rng.randrange(7_300_000_000_000_000_000, 7_400_000_000_000_000_000)
            if post_id not in self.post_ids:
                self.post_ids.add(post_id)
                return post_id

    def _engagement(self, person: _Person) -> dict[str, int]:
        rng = self.rng
        base = 3.2 if person.platform == "linkedin" else 2.6
        likes = int(rng.lognormvariate(base + 0.25 * person.band, 1.1))
        return {
            "likes": likes,
            "comments": int(likes * rng.uniform(0.02, 0.3)),
            "shares": int(likes * rng.uniform(0.0, 0.12)),
        }

    def _linkedin_text(self, topic: phrasebook.Topic, slots: _Slots) -> str:
        rng = self.rng
        long_post = rng.random() < 0.15
        count = rng.randint(6, 12) if long_post else rng.choice((2, 2, 3, 3, 4))
        sentences = rng.sample(topic.sentences, min(count, len(topic.sentences)))
        body = [_fill(s, slots) for s in sentences]
        if long_post:
            # Long-form posts pad out with context and reflection up to a target length, so
            # some reach the limit and message-size handling downstream gets exercised.
            target = rng.randint(900, LINKEDIN_MAX + 200)
            extras = [_fill(s, slots) for s in rng.sample(phrasebook.CONTEXT_SENTENCES, 3)]
            extras += rng.sample(phrasebook.REFLECTIONS, 3)
            while extras and sum(len(b) + 1 for b in body) < target:
                body.insert(rng.randrange(1, len(body) + 1), extras.pop())
        else:
            if rng.random() < 0.5:
                body.insert(
                    rng.randrange(len(body) + 1),
                    _fill(rng.choice(phrasebook.CONTEXT_SENTENCES), slots),
                )
            if rng.random() < 0.3:
                body.append(rng.choice(phrasebook.REFLECTIONS))
        paragraphs: list[str] = []
        if rng.random() < 0.55:
            hooks = topic.hooks if topic.hooks and rng.random() < 0.5 else phrasebook.HOOKS
            paragraphs.append(_fill(rng.choice(hooks), slots))
        if long_post and len(body) >= 5 and rng.random() < 0.5:
            intro, items = body[0], body[1:5]
            paragraphs.append(intro + "\n\nWhat we learned:")
            paragraphs.append("\n".join(f"{i}) {item}" for i, item in enumerate(items, 1)))
            paragraphs.extend(body[5:])
        else:
            i = 0
            while i < len(body):
                size = rng.choice((1, 2, 2, 3))
                paragraphs.append(" ".join(body[i : i + size]))
                i += size
        ending = rng.random()
        if ending < 0.5 and topic.questions:
            paragraphs.append(rng.choice(topic.questions))
        elif ending < 0.8:
            paragraphs.append(rng.choice(phrasebook.CLOSERS))
        if topic.hashtags and rng.random() < 0.6:
            paragraphs.append(
                " ".join(rng.sample(topic.hashtags, rng.randint(1, min(4, len(topic.hashtags)))))
            )
        while len(paragraphs) > 1 and len("\n\n".join(paragraphs)) > LINKEDIN_MAX:
            paragraphs.pop(-2 if len(paragraphs) > 2 else -1)
        return "\n\n".join(paragraphs)[:LINKEDIN_MAX]

    def _tweet_text(self, topic: phrasebook.Topic, slots: _Slots) -> str:
        rng = self.rng
        first_template, second_template = rng.sample(topic.sentences, 2)
        first = _fill(first_template, slots)
        extra = ""
        roll = rng.random()
        if roll < 0.3:
            extra = " " + _fill(second_template, slots)
        elif roll < 0.45 and topic.questions:
            extra = " " + rng.choice(topic.questions)
        opener, tail = rng.choice(phrasebook.TWEET_OPENERS), rng.choice(phrasebook.TWEET_TAILS)
        tags = ""
        if topic.hashtags and rng.random() < 0.35:
            tags = " " + " ".join(rng.sample(topic.hashtags, min(2, len(topic.hashtags))))
        if opener and first[:1].isupper() and not first.startswith(("I ", "AI", "CRM", "LLM")):
            first = first[0].lower() + first[1:]
        for candidate in (
            opener + first + extra + tail + tags,
            opener + first + extra + tail,
            opener + first + tail,
            first + tail,
            first,
        ):
            if len(candidate) <= TWEET_MAX:
                return candidate
        return first[: TWEET_MAX - 1] + "…"

    def post(self, person: _Person) -> Post:
        rng = self.rng
        when = self._date()
        slots = _Slots(person, rng)
        if person.spammer:
            slots["spam_topic"] = rng.choice(phrasebook.SPAM_TOPICS)
            text = _fill(rng.choice(phrasebook.SPAM_POSTS), slots)
        else:
            topic = phrasebook.TOPICS[_weighted(rng, person.topics)]
            if person.platform == "linkedin":
                text = self._linkedin_text(topic, slots)
            else:
                text = self._tweet_text(topic, slots)
        return self._wrap(person, text, when)

    def _wrap(self, person: _Person, text: str, when: datetime) -> Post:
        post_id = self._post_id(person.platform, when)
        if person.platform == "linkedin":
            url = f"https://linkedin.example/feed/update/urn:li:activity:{post_id}"
        else:
            url = f"https://x.example/{person.username}/status/{post_id}"
        return {
            "platform": person.platform,
            "post_url": url,
            "post_content": text,
            "post_date": when.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "author": person.author(),
            "engagement": self._engagement(person),
        }

    def stress(self, text: str, platform: str) -> str:
        """Weave one or two hostile snippets into ``text``, keeping tweets within 280 chars."""
        rng = self.rng
        snippets = rng.sample(phrasebook.STRESS_SNIPPETS, rng.choice((1, 1, 2)))
        if platform == "twitter":
            extra = " ".join(snippets)
            room = TWEET_MAX - len(extra) - 1
            return (text if len(text) <= room else text[: max(room - 1, 0)] + "…") + " " + extra
        paragraphs = text.split("\n\n")
        for snippet in snippets:
            paragraphs.insert(rng.randrange(len(paragraphs) + 1), snippet)
        joined = "\n\n".join(paragraphs)
        return joined if len(joined) <= LINKEDIN_MAX else joined[: LINKEDIN_MAX - 1] + "…"

    def copy(self, source: Post, copier: _Person) -> Post:
        """``copier`` re-posts ``source`` with a line in front, a little later."""
        rng = self.rng
        text = rng.choice(_COPY_PREFIXES) + source["post_content"]
        limit = TWEET_MAX if copier.platform == "twitter" else LINKEDIN_MAX
        if len(text) > limit:
            text = text[: limit - 1] + "…"
        when = datetime.fromisoformat(source["post_date"]) + timedelta(hours=rng.randint(1, 72))
        when = min(when, REFERENCE_DATE - timedelta(seconds=rng.randint(60, 3600)))
        return self._wrap(copier, text, when)


def _spread(rng: random.Random, authors: Sequence[_Person], total: int) -> list[int]:
    """How many posts each person writes: at least one each, the rest by activity."""
    counts = [1] * len(authors)
    weights = [author.activity for author in authors]
    for index in rng.choices(range(len(authors)), weights=weights, k=max(0, total - len(authors))):
        counts[index] += 1
    return counts


def generate_corpus(
    *, posts: int = DEFAULT_POSTS, seed: int = DEFAULT_SEED
) -> list[dict[str, Any]]:
    """A deterministic synthetic corpus of ``posts`` lead-shaped posts (newest first).

    Same ``posts`` and ``seed`` (and Faker version) → the same corpus, byte for byte.
    """
    if posts < 1:
        raise ValueError("posts must be at least 1")
    gen = _Generator(seed)
    rng = gen.rng
    n_authors = max(1, min(posts, round(posts / POSTS_PER_AUTHOR)))
    n_spam = min(n_authors - 1, max(1, round(n_authors * _SPAM_SHARE))) if n_authors > 20 else 0
    authors = [gen.person() for _ in range(n_authors - n_spam)]
    authors += [gen.person(spammer=True) for _ in range(n_spam)]

    corpus: list[Post] = []
    owners: list[_Person] = []
    for person, count in zip(authors, _spread(rng, authors, posts), strict=True):
        for _ in range(count):
            corpus.append(gen.post(person))
            owners.append(person)

    # Copies go to a peer (same kind of person, same platform) and replace one of the peer's
    # own posts, so the post and author counts stay as they were.
    posts_of: dict[str, list[int]] = {}
    for index, owner in enumerate(owners):
        posts_of.setdefault(f"{owner.archetype}/{owner.platform}", []).append(index)
    ordinary = [i for i, owner in enumerate(owners) if not owner.spammer]
    for source in rng.sample(ordinary, round(len(ordinary) * _COPY_SHARE)):
        owner = owners[source]
        targets = [
            i for i in posts_of[f"{owner.archetype}/{owner.platform}"] if owners[i] is not owner
        ]
        if targets:
            target = rng.choice(targets)
            corpus[target] = gen.copy(corpus[source], owners[target])
    for target in rng.sample(ordinary, round(len(ordinary) * _STRESS_SHARE)):
        post = corpus[target]
        post["post_content"] = gen.stress(post["post_content"], post["platform"])

    corpus.sort(key=lambda p: (p["post_date"], p["post_url"]), reverse=True)
    return corpus


def _default_out() -> Path:
    return Path(data_package.__file__).resolve().parent / PACKAGED_CORPUS


def main(argv: Sequence[str] | None = None) -> int:
    """Command line: write a corpus file (the packaged one by default)."""
    parser = argparse.ArgumentParser(
        prog="python -m sandbox.corpus.generate",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--posts", type=int, default=DEFAULT_POSTS, help="number of posts")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED, help="random seed")
    parser.add_argument(
        "--out",
        type=Path,
        default=None,
        help=f"output file (default: sandbox/data/{PACKAGED_CORPUS})",
    )
    args = parser.parse_args(argv)
    out: Path = args.out or _default_out()
    corpus = generate_corpus(posts=args.posts, seed=args.seed)
    write_posts(
        corpus, out, seed=args.seed, reference_date=REFERENCE_DATE.strftime("%Y-%m-%dT%H:%M:%SZ")
    )
    authors = len({(p["platform"], p["author"]["username"]) for p in corpus})
    print(
        f"wrote {len(corpus)} posts by {authors} authors to {out} "
        f"({out.stat().st_size / 1e6:.2f} MB)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
