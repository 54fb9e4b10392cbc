"""Spanish by text (SPEC §5): keywords, answers and replies, and no word carriers reserve."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from babel.messages.pofile import read_po
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select, update

from hotline.db import session_scope
from hotline.i18n import catalog_path, translator
from hotline.messaging.segments import gsm_folded, segments
from hotline.models import Conversation, Officer, Referral, User
from hotline.simulator import SmsEmulator
from hotline.sms.parse import CARRIER_RESERVED
from hotline.sms.prompts import PROMPTS, question
from tests.factories import add_officer, add_override, add_referral, add_user
from tests.sms.conftest import STRANGER, Program, clock_sent_texts, converse, outbox
from tests.sms.test_phone_keyboards import picture

ANSWERS = {
    "type": "arrest_diversion",
    "offense": "subsistence_sale",
    "name": "Maria Elena Castillo",
    "location": "3rd Ave & Pine St, by the bus shelter",
}


def speaks_spanish(app: Flask, phone: str) -> None:
    with session_scope(app) as session:
        session.execute(update(Officer).where(Officer.phone == phone).values(language="es"))


def test_a_spanish_officer_refers_in_spanish(
    app: Flask, phone: SmsEmulator, program: Program
) -> None:
    speaks_spanish(app, program.officer.phone)
    clock_sent_texts(app)
    replies = converse(
        phone, program.officer.phone, "REFERIR", "1", "Jane Doe", "1", "Pine St", "SÍ", "ENVIAR"
    )
    assert replies[0] == (
        "Remision LEAD, Agente Smith. ¿Tipo de remision? Responda 1 desvio de arresto, "
        "2 contacto social. ANULAR la descarta."
    )
    assert replies[1] == "¿Nombre del participante?"
    assert replies[4] == "¿La persona acepto ser remitida a LEAD? Responda S o N."
    assert replies[5].startswith("Remision: Desvio de arresto, posesion, Jane Doe, en Pine St")
    assert replies[6].startswith("Enviada: remision LEAD #1. Un coordinador le escribira.")
    with session_scope(app) as session:
        referral = session.scalars(select(Referral)).one()
        assert (referral.participant_name, referral.location) == ("Jane Doe", "Pine St")
    assert converse(phone, program.officer.phone, "ESTADO 1") == ["LEAD #1: recibida."]


def test_a_spanish_officer_is_greeted_with_their_title_in_spanish(
    app: Flask, phone: SmsEmulator, program: Program
) -> None:
    # The roster says "Officer Smith": the call greets "agente Smith", and so must the text,
    # not "Remision LEAD, Officer Smith." with the English title inside the Spanish sentence.
    speaks_spanish(app, program.officer.phone)
    greeting = converse(phone, program.officer.phone, "REFERIR")[0]
    assert greeting.startswith("Remision LEAD, Agente Smith. ¿Tipo de remision?"), greeting
    assert "Officer" not in greeting
    # A name the roster gives without a title is said as typed, in either language.
    add_officer(app, "Jo Smith", badge="4712", phone="+12065550178")
    speaks_spanish(app, "+12065550178")
    assert converse(phone, "+12065550178", "REFERIR")[0].startswith("Remision LEAD, Jo Smith.")


def test_an_english_officer_may_answer_si_and_a_stranger_gets_spanish_for_referir(
    app: Flask, phone: SmsEmulator, program: Program
) -> None:
    replies = converse(phone, program.officer.phone, "REFER", "2", "Jane Doe", "Pine St", "si")
    assert replies[-1].startswith("Referral: Social contact, Jane Doe, at Pine St")
    badge = converse(phone, STRANGER, "REFERIR")[0]
    assert badge == "Remision LEAD. Responda con su numero de placa (solo digitos)."


def test_ayuda_answers_in_spanish_and_anular_drops_an_intake(
    phone: SmsEmulator, program: Program
) -> None:
    help_text = converse(phone, program.officer.phone, "AYUDA")[0]
    assert help_text.startswith("Linea LEAD. Agentes: REFERIR inicia una remision")
    dropped = converse(phone, program.officer.phone, "REFERIR", "ANULAR")[-1]
    assert dropped == "Remision descartada. Escriba REFERIR para empezar otra."


@pytest.mark.parametrize("role", ["case_manager", "prosecutor"])
def test_a_spanish_case_manager_or_prosecutor_is_answered_in_spanish(
    app: Flask, phone: SmsEmulator, program: Program, role: str
) -> None:
    # SPEC §5: "a sender whose `language` is `es` gets Spanish prompts and replies" —
    # a user of any role has a `language`, not only the coordinators and supervisors.
    reader = add_user(app, "Carla Ruiz", role)
    with session_scope(app) as session:
        session.execute(update(User).where(User.id == reader.id).values(language="es"))
    assert converse(phone, reader.phone, "HELP")[0].startswith("Linea LEAD.")
    assert converse(phone, reader.phone, "ACK 1")[0].startswith("Lo sentimos, ACK es para")


class TestProgramInSpanish:
    """HOTLINE_LANGUAGE=es: a number the hotline does not know reads Spanish."""

    @pytest.fixture
    def app_config(self, app_config: dict[str, Any]) -> dict[str, Any]:
        return {**app_config, "HOTLINE_LANGUAGE": "es"}

    def test_a_stranger_gets_spanish_help(self, phone: SmsEmulator) -> None:
        assert converse(phone, STRANGER, "HELP")[0].startswith("Linea LEAD.")

    def test_the_fallback_text_is_in_spanish(self, phone: SmsEmulator) -> None:
        [reply] = phone.send(STRANGER, "REFER", path="/sms/fallback").replies
        assert reply.startswith("La linea LEAD no puede leer textos ahora"), reply
        assert reply.endswith("+12065550100.")


def test_the_fallback_answers_a_spanish_keyword_in_spanish(phone: SmsEmulator) -> None:
    [english] = phone.send(STRANGER, "REFER", path="/sms/fallback").replies
    assert english.startswith("The LEAD hotline cannot read texts right now"), english
    [spanish] = phone.send(STRANGER, "REFERIR", path="/sms/fallback").replies
    assert spanish.startswith("La linea LEAD no puede leer textos ahora"), spanish


def catalog_ids(channel: str) -> list[str]:
    with catalog_path(channel, "es").open("rb") as handle:
        return [str(m.id) for m in read_po(handle) if m.id]


@pytest.mark.parametrize("language", ["en", "es"])
def test_no_text_suggests_a_word_carriers_reserve(language: str) -> None:
    _ = translator("sms", language)
    for message in catalog_ids("sms"):
        params = dict.fromkeys(re.findall(r"\{(\w+)\}", message), "x")
        text = _(message, **params) if params else _(message)
        # A keyword is suggested in capitals ("Reply Y or N"); "to start again" suggests none.
        words = {w for w in (t.strip(".,:;?!()¿¡") for t in text.split()) if w.isupper()}
        allowed = {"STOP"} if "opt out" in message else set()  # HELP names how to opt out
        assert not (words & CARRIER_RESERVED) - allowed, text


@pytest.mark.parametrize("language", ["en", "es"])
def test_each_prompt_fits_one_segment_and_the_summary_two(language: str) -> None:
    _ = translator("sms", language)
    for step in PROMPTS:
        text = gsm_folded(question(_, step, ANSWERS))
        assert segments(text) <= (2 if step == "confirm" else 1), text


def test_an_expired_spanish_intake_is_told_so_in_spanish(
    app: Flask, phone: SmsEmulator, program: Program
) -> None:
    converse(phone, STRANGER, "REFERIR", "99", "1")  # a number off the roster, in Spanish
    with session_scope(app) as session:
        session.execute(
            update(Conversation).values(updated_at=datetime.now(UTC) - timedelta(minutes=31))
        )
    reply = converse(phone, STRANGER, "Jane Doe")[-1]
    assert "REFERIR para empezar de nuevo" in reply, reply


def test_who_and_take_answer_a_spanish_coordinator_with_spanish_weekdays(
    app: Flask, phone: SmsEmulator, program: Program
) -> None:
    with session_scope(app) as session:
        session.execute(update(User).where(User.id == program.ana.id).values(language="es"))
    add_override(
        app,
        program.ben,
        2,
        datetime.now(UTC) - timedelta(hours=1),
        datetime.now(UTC) + timedelta(hours=30),
    )
    who, take = converse(phone, program.ana.phone, "WHO", "TAKE 30h")
    english = ("Mon ", "Tue ", "Wed ", "Thu ", "Fri ", "Sat ", "Sun ")
    assert not any(day in who for day in english), who
    assert not any(day in take for day in english), take


@pytest.mark.parametrize(
    ("status", "words"),
    [("intake_completed", "ingreso completado"), ("declined", "rechazada")],
)
def test_a_spanish_coordinator_reads_a_closed_referrals_status_in_spanish(
    app: Flask, phone: SmsEmulator, program: Program, status: str, words: str
) -> None:
    with session_scope(app) as session:
        session.execute(update(User).where(User.id == program.ana.id).values(language="es"))
    number = add_referral(app, status)
    reply = converse(phone, program.ana.phone, f"ACK {number}")[0]
    assert reply == f"La #{number} ya esta cerrada ({words}).", reply


@pytest.mark.parametrize("language", ["en", "es"])
def test_help_fits_two_segments_whatever_it_is_answered_with(
    app: Flask, client: FlaskClient, phone: SmsEmulator, program: Program, language: str
) -> None:
    # A third segment costs a third text and may arrive before the other two.
    if language == "es":
        speaks_spanish(app, program.officer.phone)
    officer = program.officer.phone
    noise = converse(phone, officer, "hello?")[0]
    media = picture(phone, client, app, officer)
    amid_intake = converse(phone, officer, "REFER", "HELP")[-1]
    for reply in (noise, media, amid_intake):
        assert "CONTACT" in reply and segments(reply) <= 2, (segments(reply), reply)


def test_a_stranger_who_referred_in_spanish_gets_the_referrals_status_in_spanish(
    app: Flask, phone: SmsEmulator, program: Program
) -> None:
    # Unverified (no roster officer, so no `language`): the intake's own language stands.
    intake = ("REFERIR", "99", "1", "Jane Doe", "1", "Pine St", "S", "ENVIAR")
    sent = converse(phone, STRANGER, *intake)[-1]
    assert sent.startswith("Enviada: remision LEAD #1.")
    converse(phone, program.ana.phone, "ACK 1")
    assert outbox(app, STRANGER) == ["LEAD #1: con un coordinador, Ana Diaz."]


def test_cancelar_if_it_arrives_drops_an_intake_as_cancel_does(
    app: Flask, phone: SmsEmulator, program: Program
) -> None:
    # Never suggested (carriers may take it as an opt-out), but it means what it says:
    # it must not become the participant's name.
    dropped = converse(phone, program.officer.phone, "REFERIR", "1", "Cancelar")[-1]
    assert dropped == "Remision descartada. Escriba REFERIR para empezar otra."
    with session_scope(app) as session:
        assert session.scalars(select(Conversation)).all() == []
