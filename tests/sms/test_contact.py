"""CONTACT name (SPEC §5, §6 "Re-contact"): status only, only with consent; otherwise neutral."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from flask import Flask
from sqlalchemy import select

from hotline.audit import Actor
from hotline.db import session_scope
from hotline.models import AuditEvent, Consent, Contact, Participant, User
from hotline.services import participants
from hotline.simulator import SmsEmulator
from tests.api.conftest import Api, token_for
from tests.factories import add_user, leave_roster
from tests.sms.conftest import STRANGER, Program, converse, outbox
from tests.sms.test_commands import refer

# SPEC §6 "Re-contact", word for word: the officer gets "LEAD participant — case manager
# <name>, <phone>"; otherwise the same neutral reply as for no match ("no LEAD match; call
# the hotline to refer").
NEUTRAL = "no LEAD match; call the hotline to refer."


def disclosed(case_manager: User) -> str:
    return f"LEAD participant — case manager {case_manager.name}, {case_manager.phone}."


@pytest.fixture
def cam(app: Flask) -> User:
    return add_user(app, "Cam Reed", "case_manager")


def add_participant(
    app: Flask, name: str, case_manager: User | None, consent: bool, aliases: tuple[str, ...] = ()
) -> int:
    now = datetime.now(UTC)
    with session_scope(app) as session:
        row = Participant(
            name=name,
            aliases=list(aliases),
            status="active",
            case_manager_id=case_manager.id if case_manager else None,
            created_at=now,
        )
        session.add(row)
        session.flush()
        if consent:
            session.add(
                Consent(
                    participant_id=row.id, scope="officer_status", given_at=now - timedelta(days=1)
                )
            )
        return row.id


def contacts(app: Flask) -> list[tuple[int, bool]]:
    with session_scope(app) as session:
        return [(c.participant_id, c.disclosed) for c in session.scalars(select(Contact))]


def disclosures(app: Flask) -> int:
    with session_scope(app) as session:
        return len(session.scalars(select(AuditEvent).where(AuditEvent.action == "disclose")).all())


def test_with_consent_the_officer_learns_the_case_manager_and_nothing_more(
    app: Flask, phone: SmsEmulator, program: Program, cam: User
) -> None:
    number = add_participant(app, "Jane Doe", cam, consent=True)
    [reply] = converse(phone, program.officer.phone, "CONTACT jane  doe")
    assert reply == disclosed(cam)
    [told] = outbox(app, cam.phone)
    assert told.startswith(f"LEAD participant #{number} Jane Doe: Officer Smith met them")
    assert contacts(app) == [(number, True)]
    with session_scope(app) as session:
        audit = session.scalars(select(AuditEvent).where(AuditEvent.action == "disclose")).one()
        assert (audit.entity_id, audit.after["to"]) == (number, "officer")


def test_without_consent_the_answer_is_the_neutral_one_and_the_case_manager_is_still_told(
    app: Flask, phone: SmsEmulator, program: Program, cam: User
) -> None:
    number = add_participant(app, "Jane Doe", cam, consent=False)
    assert converse(phone, program.officer.phone, "CONTACT Jane Doe") == [NEUTRAL]
    assert len(outbox(app, cam.phone)) == 1
    assert contacts(app) == [(number, False)]


def test_a_case_manager_who_left_is_neither_named_nor_texted(
    app: Flask, phone: SmsEmulator, program: Program
) -> None:
    gone = add_user(app, "Cam Reed", "case_manager", active=False)
    number = add_participant(app, "Jane Doe", gone, consent=True)
    assert converse(phone, program.officer.phone, "CONTACT Jane Doe") == [NEUTRAL]
    assert outbox(app, gone.phone) == []
    assert contacts(app) == [(number, False)]  # the meeting is still on the timeline


def test_a_name_that_matches_nobody_tells_nobody(
    app: Flask, phone: SmsEmulator, program: Program, cam: User
) -> None:
    add_participant(app, "Jane Doe", cam, consent=True)
    assert converse(phone, program.officer.phone, "CONTACT Maria Lopez") == [NEUTRAL]
    assert outbox(app, cam.phone) == [] and contacts(app) == []


def test_two_close_matches_are_no_match(
    app: Flask, phone: SmsEmulator, program: Program, cam: User
) -> None:
    add_participant(app, "Jane Doe", cam, consent=True)
    add_participant(app, "Jane Doe", cam, consent=True)
    assert converse(phone, program.officer.phone, "CONTACT Jane Doe") == [NEUTRAL]
    assert outbox(app, cam.phone) == []


def test_a_number_off_the_roster_learns_nothing_and_tells_nobody(
    app: Flask, phone: SmsEmulator, program: Program, cam: User
) -> None:
    add_participant(app, "Jane Doe", cam, consent=True)
    assert converse(phone, STRANGER, "CONTACT Jane Doe") == [NEUTRAL]
    assert outbox(app, cam.phone) == [] and contacts(app) == []


def test_an_officer_who_left_the_roster_learns_nothing_and_tells_nobody(
    app: Flask, phone: SmsEmulator, program: Program, cam: User
) -> None:
    add_participant(app, "Jane Doe", cam, consent=True)
    leave_roster(app, program.officer)
    assert converse(phone, program.officer.phone, "CONTACT Jane Doe") == [NEUTRAL]
    assert outbox(app, cam.phone) == [] and contacts(app) == [] and disclosures(app) == 0


def test_contacto_answers_in_spanish_and_a_missing_name_is_asked_for(
    app: Flask, phone: SmsEmulator, program: Program, cam: User
) -> None:
    add_participant(app, "Jane Doe", cam, consent=False)
    assert converse(phone, program.officer.phone, "CONTACTO Jane Doe") == [
        "Sin coincidencia en LEAD; llame a la linea para remitir."
    ]
    assert converse(phone, program.officer.phone, "CONTACT") == [
        "Reply CONTACT and the person's name, e.g. CONTACT Jane Doe."
    ]


@pytest.mark.parametrize(
    ("typed", "name", "aliases"),
    [
        ("jane  doe", "Jane Doe", ()),
        ("DOE, Jane", "Jane Doe", ()),
        ("Jane Doe Smith", "Jane Doe-Smith", ()),
        ("jane doe", "Jane Doe-Smith", ("Jane Doe",)),
        ("Jose Garcia", "José García", ()),
        ("Shaun OBrien", "Shaun O'Brien", ()),
        ("Jane De La Cruz", "Jane DeLaCruz", ()),
        ("Li De La O", "Li DeLaO", ()),  # short: its spelling score is under the floor
    ],
)
def test_the_same_name_written_another_way_still_discloses(
    app: Flask,
    phone: SmsEmulator,
    program: Program,
    cam: User,
    typed: str,
    name: str,
    aliases: tuple[str, ...],
) -> None:
    number = add_participant(app, name, cam, consent=True, aliases=aliases)
    [reply] = converse(phone, program.officer.phone, f"CONTACT {typed}")
    assert reply == disclosed(cam)
    assert contacts(app) == [(number, True)]


@pytest.mark.parametrize(
    ("typed", "name"),
    [
        # Spelled alike: another person, most likely.
        ("Juan Perez", "Juana Perez"),
        ("Daniel Smith", "Danielle Smith"),
        ("Mario Garcia", "Maria Garcia"),
        # A nickname: it may stand for another name too.
        ("Pat Jones", "Patrick Jones"),  # or Patricia
        ("Jamie Lee", "James Lee"),
        ("Chris Lee", "Christopher Lee"),  # or Christina
        ("Sam Ortiz", "Samuel Ortiz"),  # or Samantha
        ("Alex Kim", "Alexander Kim"),  # or Alexandra
        ("Toni Ruiz", "Antonia Ruiz"),
    ],
)
def test_a_name_only_like_a_participants_tells_the_case_manager_but_not_the_officer(
    app: Flask, phone: SmsEmulator, program: Program, cam: User, typed: str, name: str
) -> None:
    # The officer must not be told the person is in LEAD; the case manager may judge.
    number = add_participant(app, name, cam, consent=True)
    assert converse(phone, program.officer.phone, f"CONTACT {typed}") == [NEUTRAL]
    assert disclosures(app) == 0 and contacts(app) == [(number, False)]
    [told] = outbox(app, cam.phone)
    assert told.startswith(f"LEAD participant #{number} {name}: Officer Smith met them")


def test_contacto_with_accents_left_out_discloses_in_spanish(
    app: Flask, phone: SmsEmulator, program: Program, cam: User
) -> None:
    add_participant(app, "José García", cam, consent=True)
    assert converse(phone, program.officer.phone, "CONTACTO jose garcia") == [
        f"Participante de LEAD — gestor de casos Cam Reed, {cam.phone}."
    ]
    assert converse(phone, program.officer.phone, "CONTACTO Josue Garcia") == [
        "Sin coincidencia en LEAD; llame a la linea para remitir."
    ]


def test_a_nickname_recorded_as_an_alias_discloses(
    app: Flask, phone: SmsEmulator, program: Program, cam: User
) -> None:
    number = add_participant(app, "Patrick Jones", cam, consent=True, aliases=("Pat Jones",))
    [reply] = converse(phone, program.officer.phone, "CONTACT jones, pat")
    assert reply == disclosed(cam)
    assert contacts(app) == [(number, True)]


def test_a_name_that_is_one_participants_and_another_ones_nickname_discloses_nothing(
    app: Flask, phone: SmsEmulator, program: Program, cam: User
) -> None:
    add_participant(app, "Pat Jones", cam, consent=True)
    add_participant(app, "Patrick Jones", cam, consent=True)
    assert converse(phone, program.officer.phone, "CONTACT Pat Jones") == [NEUTRAL]
    assert outbox(app, cam.phone) == [] and contacts(app) == []


@pytest.mark.parametrize(
    ("typed", "name", "aliases"),
    [
        ("Bobby", "Robert Smith", ("Bobby",)),
        ("pat", "Patricia Gomez", ("Pat",)),
        ("SMITTY", "Smitty", ()),
        # Still one name of many people's: split in two, it is no nearer to being this person.
        ("Jo Jo", "Joanne Smith", ("JoJo",)),  # a street name, written in two words
        ("De La Cruz", "Maria Lopez", ("DeLaCruz",)),  # a surname alone
    ],
)
def test_a_single_word_never_discloses(
    app: Flask,
    phone: SmsEmulator,
    program: Program,
    cam: User,
    typed: str,
    name: str,
    aliases: tuple[str, ...],
) -> None:
    # A first name or a street name is shared by many: the officer is told to call instead.
    number = add_participant(app, name, cam, consent=True, aliases=aliases)
    assert converse(phone, program.officer.phone, f"CONTACT {typed}") == [NEUTRAL]
    assert disclosures(app) == 0 and contacts(app) == [(number, False)]
    assert len(outbox(app, cam.phone)) == 1


@pytest.mark.parametrize("ended", ["revoked", "expired"])
def test_a_withdrawn_or_expired_consent_discloses_nothing_though_it_was_recorded_twice(
    app: Flask, phone: SmsEmulator, program: Program, cam: User, ended: str
) -> None:
    number = add_participant(app, "Jane Doe", cam, consent=True)
    now = datetime.now(UTC)
    with session_scope(app) as session:  # recorded again, as an older version let it be
        session.add(Consent(participant_id=number, scope="officer_status", given_at=now))
        first = session.scalars(select(Consent).order_by(Consent.id)).first()
        assert first is not None
        if ended == "revoked":  # as the case manager's Revoke does it: the person withdrew
            participants.revoke_consent(session, number, first.id, Actor(cam.id, "web"), now)
        else:
            for row in session.scalars(select(Consent)):
                row.expires_at = now - timedelta(minutes=1)
    assert converse(phone, program.officer.phone, "CONTACT Jane Doe") == [NEUTRAL]
    assert contacts(app) == [(number, False)] and disclosures(app) == 0


def test_a_name_set_off_from_contact_by_a_colon_or_dash_is_read(
    app: Flask, phone: SmsEmulator, program: Program, cam: User
) -> None:
    number = add_participant(app, "Jane Doe", cam, consent=True)
    assert converse(phone, program.officer.phone, "Contact: Jane Doe") == [disclosed(cam)]
    assert converse(phone, program.officer.phone, "CONTACTO - Jane Doe")[0].startswith(
        "Participante de LEAD"
    )
    assert contacts(app) == [(number, True), (number, True)]


def test_a_participant_referred_again_is_told_to_their_case_manager_once(
    app: Flask, phone: SmsEmulator, program: Program, cam: User
) -> None:
    """An officer's new referral of Jane is an officer meeting her again (SPEC §1, §6)."""
    jane = add_participant(app, "Jane Doe", cam, consent=False)
    number = refer(phone, program)
    converse(phone, program.ana.phone, f"ACK {number}")
    api = Api(app.test_client(), token_for(app, program.ana.id))
    body = {
        "offense": "possession",
        "consent_confirmed": True,
        "needs": ["housing"],
        "notes": "relapsed",
        "disposition": "accepted",
        "participant_id": jane,
    }
    assert api.post(f"/referrals/{number}/assessment", body).status_code == 201
    assert outbox(app, cam.phone) == [
        f"LEAD participant #{jane} Jane Doe: Officer Smith referred them again, referral #{number}."
    ]
    assert api.post(f"/referrals/{number}/assessment", body).status_code == 201  # a new version
    assert len(outbox(app, cam.phone)) == 1


def test_a_first_referral_texts_no_case_manager(
    app: Flask, phone: SmsEmulator, program: Program, cam: User
) -> None:
    number = refer(phone, program)
    api = Api(app.test_client(), token_for(app, program.ana.id))
    body = {"offense": "possession", "consent_confirmed": True, "disposition": "accepted"}
    assert api.post(f"/referrals/{number}/assessment", body).status_code == 201
    assert outbox(app, cam.phone) == []
