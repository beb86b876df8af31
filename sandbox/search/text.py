"""Tokenising, light stemming and stop words, shared by indexing and query parsing.

Documents and descriptions must go through exactly the same normalisation, otherwise a
synonym phrase written one way in the vocabulary never meets the text written another way.
"""

from __future__ import annotations

import re
import unicodedata

__all__ = ["STOP_WORDS", "normalize", "stem", "tokenize"]

_SIGIL = re.compile(r"(?<=[a-z0-9])(\+\+|#)(?![a-z0-9])|[+#]")
"""A ``+`` or ``#`` that is not the end of a word like "c++"/"c#" (hashtags, "a+b")."""
_HASHTAG = re.compile(r"#([A-Za-z0-9]+)")
_CAMEL_HUMP = re.compile(r"(?<=[a-z])(?=[A-Z])")
# A possessive carries no meaning for search: "buyer's agent" is ``buyer agent``.
_POSSESSIVE = re.compile(r"['’]s\b")

# Plurals whose stem the suffix rules below would get wrong (or leave alone).
_IRREGULAR = {
    "vps": "vp",
    "vcs": "vc",
    "mds": "md",
    "pms": "pm",
    "aes": "ae",
    "rns": "rn",
    "crms": "crm",
    "llms": "llm",
    "people": "people",
    "women": "woman",
    "men": "man",
}
# Words that look plural but are not (or whose stem would collide with another word).
_PROTECTED = frozenset(
    {
        "aws",
        "saas",
        "paas",
        "iaas",
        "news",
        "series",
        "sales",
        "analytics",
        "ops",
        "devops",
        "kubernetes",
        "always",
        "less",
        "business",
        "has",
        "was",
        "this",
        "its",
        "ios",
        "gas",
    }
)

STOP_WORDS = frozenset(
    """
    a about above after again against all also am an and any are aren as at be because been
    before being below between both but by can cannot could couldn d did didn do does doesn
    doing don down during each else etc even ever every few for from further had hadn has
    hasn have haven having he her here hers herself him himself his how however i if in into
    is isn it its itself just ll m me might more most must mustn my myself no nor not now o
    of off on once only or other others our ours ourselves out over own re s same shall she
    should shouldn so some such t than that the their theirs them themselves then there these
    they this those through to too under until up upon us ve very was wasn we were weren what
    when where whether which while who whom whose why will with within without won would
    wouldn y yet you your yours yourself yourselves b c e f g h j k l n p q r u v w x z
    """.split()  # noqa: SIM905 (a word list reads better as text)
)
"""English function words: never search terms, in documents or in descriptions."""


def normalize(text: str) -> str:
    """Lower-case ``text`` and fold accents to ASCII ("São Paulo" → "sao paulo")."""
    if text.isascii():
        return text.lower()
    folded = unicodedata.normalize("NFKD", text.lower())
    return folded.encode("ascii", "ignore").decode("ascii")


# Byte translation table: letters and digits stay (lower-cased), ``+`` and ``#`` stay for
# "c++"/"c#" (the rest of them are blanked first), everything else becomes a separator. A
# translate-and-split is several times faster than a regex over a whole corpus.
_KEEP = b"abcdefghijklmnopqrstuvwxyz0123456789+#"
_SEPARATE = bytes(c if c in _KEEP else (c + 32 if 65 <= c <= 90 else 32) for c in range(256))


def stem(word: str) -> str:
    """Strip an English plural ending: ``directors`` → ``director``, ``companies`` → ``company``.

    Deliberately light (no ``-ing``/``-ed`` rules): the vocabulary lists verb forms it cares
    about, and an aggressive stemmer conflates words that mean different things to a search
    for people ("marketing" the function vs "market" the noun).
    """
    if word in _IRREGULAR:
        return _IRREGULAR[word]
    if len(word) <= 3 or word in _PROTECTED or not word.endswith("s"):
        return word
    if word.endswith("ies") and len(word) > 4:
        return word[:-3] + "y"
    if word.endswith(("sses", "xes", "ches", "shes")):
        return word[:-2]
    if word.endswith(("ss", "us", "is")):
        return word
    return word[:-1]


# Word → stem memo for tokenize(): a plain dict lookup is much cheaper than calling stem(), and
# indexing a corpus stems millions of words drawn from a small vocabulary. Bounded, because
# descriptions from users bring new words forever. Concurrent writers store the same value.
_STEMS: dict[str, str] = {}
_MAX_MEMO = 200_000


def _stem_and_remember(word: str) -> str:
    stemmed = stem(word)
    if len(_STEMS) < _MAX_MEMO:
        _STEMS[word] = stemmed
    return stemmed


def tokenize(text: str) -> list[str]:
    """Normalised, stemmed tokens of ``text`` in order, stop words included.

    Stop words are kept here because multi-word phrases need them ("head of marketing",
    "series a"); callers drop them after phrase matching.
    """
    if "'" in text or "’" in text:
        text = _POSSESSIVE.sub("", text)
    if "#" in text:
        # "#CloudMigration" is two words ("FinTech" outside a hashtag stays one).
        text = _HASHTAG.sub(lambda m: " " + _CAMEL_HUMP.sub(" ", m.group(1)), text)
    folded = normalize(text)
    if "+" in folded or "#" in folded:
        folded = _SIGIL.sub(lambda m: m.group(1) or " ", folded)
    words = folded.encode("ascii").translate(_SEPARATE).decode("ascii").split()
    return [_STEMS.get(word) or _stem_and_remember(word) for word in words]
