"""Suggestions tolerate spelling variants, accents, word order and nicknames (SPEC §6)."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hotline.services.participant_match import SUGGESTION_FLOOR, match_score
from hotline.services.recontact import CONTACT_FLOOR


@pytest.mark.parametrize(
    ("typed", "known"),
    [
        ("Bob Smith", "Robert Smith"),
        ("Jose Garcia", "José García"),
        ("SMITH, Robert", "Robert Smith"),
        ("Jon Smyth", "John Smith"),
        ("Lupe Hernandez", "Guadalupe Hernández"),
        ("Jane Doe", "Jane Marie Doe"),
        ("Ana Lopez", "Ana Maria Lopez Vega"),
    ],
)
def test_the_same_person_written_differently_is_suggested(typed: str, known: str) -> None:
    assert match_score(typed, [known]) >= SUGGESTION_FLOOR


@pytest.mark.parametrize(
    ("typed", "known"),
    [
        ("Jane Doe", "John Doe"),
        ("Ana Diaz", "Maria Lopez"),
        ("Jane", "Jane Doe"),
        ("Jane Marie", "Jane Doe"),
    ],
)
def test_other_people_are_not(typed: str, known: str) -> None:
    assert match_score(typed, [known]) < SUGGESTION_FLOOR


def test_part_of_a_name_is_suggested_but_never_taken_by_contact_for_the_person() -> None:
    assert SUGGESTION_FLOOR <= match_score("Jane Doe", ["Jane Marie Doe"]) < CONTACT_FLOOR


def test_an_alias_counts_and_a_different_birth_date_rules_out() -> None:
    assert match_score("Smitty", ["Robert Smith", "Smitty"]) == 1.0
    born = date(1990, 5, 1)
    assert match_score("Robert Smith", ["Robert Smith"], born, date(1991, 5, 1)) == 0.0
    assert match_score("Rob Smyth", ["Robert Smith"], born, born) > match_score(
        "Rob Smyth", ["Robert Smith"]
    )


@given(st.text(alphabet=st.characters(categories=["L"]), min_size=1, max_size=30))
def test_a_name_always_matches_itself(name: str) -> None:
    assert match_score(name, [name]) == 1.0 or not any(ch.isalnum() for ch in name.casefold())
