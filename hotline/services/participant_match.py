"""Who a newly accepted person may already be: names that match despite spelling and nicknames.

Pure scoring (`match_score`) and one loader (`suggest`): a coordinator picks from
the suggestions, the app never links on its own (SPEC §6).
"""

from __future__ import annotations

import unicodedata
from collections import Counter
from collections.abc import Iterable
from datetime import date
from difflib import SequenceMatcher

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..models import Participant

SUGGESTION_FLOOR = 0.8
# A name short of a middle name or second surname ("Ana Lopez", Ana María López Vega):
# suggested, yet under the 0.9 at which CONTACT takes the words for someone.
PART_OF_THE_NAME = 0.85
MAX_SUGGESTIONS = 5
# Common English and Spanish nicknames, to the name they stand for.
NICKNAMES = {
    "bob": "robert", "bobby": "robert", "rob": "robert", "robbie": "robert",
    "bill": "william", "billy": "william", "will": "william", "willie": "william",
    "mike": "michael", "mick": "michael", "jim": "james", "jimmy": "james", "jamie": "james",
    "joe": "joseph", "joey": "joseph", "pepe": "jose", "tony": "anthony", "toni": "antonia",
    "chris": "christopher", "kate": "katherine", "katie": "katherine", "kathy": "katherine",
    "cathy": "catherine", "liz": "elizabeth", "beth": "elizabeth", "betty": "elizabeth",
    "lisa": "elizabeth", "dave": "david", "danny": "daniel", "dan": "daniel", "tom": "thomas",
    "tommy": "thomas", "steve": "steven", "sam": "samuel", "sue": "susan", "susie": "susan",
    "jen": "jennifer", "jenny": "jennifer", "nick": "nicholas", "rick": "richard",
    "dick": "richard", "rich": "richard", "ben": "benjamin", "alex": "alexander",
    "andy": "andrew", "drew": "andrew", "pat": "patrick", "paco": "francisco",
    "pancho": "francisco", "lupe": "guadalupe", "chuy": "jesus", "memo": "guillermo",
    "beto": "alberto", "lalo": "eduardo", "nacho": "ignacio", "charlie": "charles",
    "chuck": "charles", "ed": "edward", "eddie": "edward", "ted": "edward", "larry": "lawrence",
    "peggy": "margaret", "maggie": "margaret", "meg": "margaret", "greg": "gregory",
    "matt": "matthew", "tim": "timothy", "jeff": "jeffrey", "ron": "ronald", "don": "donald",
}  # fmt: skip
# Left out rather than read as a space: "O'Brien" is written "OBrien" as often as "O Brien".
APOSTROPHES = frozenset("'\u2018\u2019\u02bc`")


def folded_words(name: str) -> list[str]:
    """Return a name's words without accents, case, apostrophes or other punctuation."""
    plain = unicodedata.normalize("NFKD", name)
    plain = "".join(ch for ch in plain if not unicodedata.combining(ch) and ch not in APOSTROPHES)
    return "".join(ch if ch.isalnum() else " " for ch in plain.casefold()).split()


def name_tokens(name: str) -> list[str]:
    """Return a name's words folded, nicknames resolved."""
    return [NICKNAMES.get(word, word) for word in folded_words(name)]


def same_name(name: str, candidates: list[str]) -> bool:
    """Tell whether `name` is one of `candidates` word for word, in any order.

    What may disclose (SPEC §6 re-contact): "DOE, Jane" and "jane  doe" are Jane Doe,
    "De La Cruz" is "DeLaCruz"; "Juan" is not "Juana", however close the spelling,
    and "Pat" is not "Patrick" (it may be Patricia) unless recorded as an alias.
    One word is never enough: a first or street name ("Bobby", "Smitty") is many people's,
    nor is one written in two ("Jo Jo" for the alias "JoJo"): the name matched needs two too.
    """
    mine = folded_words(name)
    if len(mine) < 2:
        return False
    return any(
        len(theirs) >= 2 and _same_words(mine, theirs)
        for theirs in (folded_words(other) for other in candidates)
    )


def spelled_the_same(name: str, candidates: list[str]) -> bool:
    """Tell whether `name` is one of `candidates` letter for letter, however many words."""
    mine = folded_words(name)
    return any(_same_words(mine, folded_words(other)) for other in candidates)


def _same_words(left: list[str], right: list[str]) -> bool:
    """Tell whether two folded names have the same words, or the same letters in order."""
    return bool(left) and (sorted(left) == sorted(right) or "".join(left) == "".join(right))


def _closeness(left: list[str], right: list[str]) -> float:
    """Return how alike two names are, 0..1, whatever their word order."""
    if not left or not right:
        return 0.0
    ordered = SequenceMatcher(None, " ".join(left), " ".join(right)).ratio()
    swapped = SequenceMatcher(None, " ".join(sorted(left)), " ".join(sorted(right))).ratio()
    return max(ordered, swapped)


def _alike(left: list[str], right: list[str]) -> float:
    """Return how alike two names are, a name that is part of the other at least fairly."""
    shorter, longer = sorted((left, right), key=len)
    if len(shorter) >= 2 and not Counter(shorter) - Counter(longer):
        return max(PART_OF_THE_NAME, _closeness(left, right))
    return _closeness(left, right)


def match_score(
    name: str,
    candidates: list[str],
    date_of_birth: date | None = None,
    their_birth: date | None = None,
) -> float:
    """Return how likely `name` is one of `candidates` (a name and its aliases), 0..1.

    A date of birth that differs rules the person out; one that agrees lifts a near match.
    """
    if date_of_birth and their_birth and date_of_birth != their_birth:
        return 0.0
    mine = name_tokens(name)
    best = max((_alike(mine, name_tokens(other)) for other in candidates), default=0.0)
    if date_of_birth and their_birth:
        best = min(1.0, best + 0.1)
    return best


def suggest(
    session: Session,
    name: str,
    date_of_birth: date | None = None,
    among: Iterable[Participant] | None = None,
    aliases: bool = True,
) -> list[tuple[Participant, float]]:
    """Return the participants `name` may be (of those `among`, if given), best first.

    Without `aliases` only the name is compared: an alias that answered someone would
    tell a reader who may not see aliases (a prosecutor) who goes by it.
    """
    scored = []
    for row in session.scalars(select(Participant)) if among is None else among:
        names = [row.name, *row.aliases] if aliases else [row.name]
        score = match_score(name, names, date_of_birth, row.date_of_birth)
        if score >= SUGGESTION_FLOOR:
            scored.append((row, score))
    scored.sort(key=lambda pair: (-pair[1], pair[0].id))
    return scored[:MAX_SUGGESTIONS]
