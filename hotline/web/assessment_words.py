"""The assessment's fixed answers in words: exclusions, self-reported answers, disparity groups."""

from __future__ import annotations

from ..i18n import N_
from .language import web_text

# Exclusions, worded once beside their codes: the form's boxes and WORDS alike.
EXCLUSION_WORDS: dict[str, str] = {
    "over_weight_limit": N_("over the site's drug weight limit"),
    "dealing_above_subsistence": N_("dealing above subsistence"),
    "exploitation_of_minors": N_("exploitation of minors"),
    "promoting_prostitution": N_("promoting prostitution"),
    "under_18": N_("under 18"),
    "violent_history": N_("disqualifying violent history"),
}

# The assessment's self-reported answers and the disparity table's groups, stored (and
# counted) as the English the form offers: pages say them in the reader's words.
ANSWER_WORDS: dict[str, str] = {
    answer: answer  # the key is the stored English, the value marked for the catalog
    for answer in (
        N_("65 and over"),
        N_("declined to say"),
        N_("woman"),
        N_("man"),
        N_("non-binary"),
        N_("another gender"),
        N_("American Indian or Alaska Native"),
        N_("Asian"),
        N_("Black or African American"),
        N_("Hispanic or Latino"),
        N_("Middle Eastern or North African"),
        N_("Native Hawaiian or Pacific Islander"),
        N_("White"),
        N_("Multiracial"),
        N_("Another race or ethnicity"),
        N_("not recorded"),
        N_("all referrals (too few to show by group)"),
    )
}


def answer_word(answer: str) -> str:
    """Return a self-reported answer or a disparity group in words; other text as written."""
    return web_text(ANSWER_WORDS[answer]) if answer in ANSWER_WORDS else answer
