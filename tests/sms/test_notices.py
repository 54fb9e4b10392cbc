"""Every text the hotline sends on its own is worded by the SMS channel in the reader's language."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime

import pytest
from flask import Flask
from flask.testing import FlaskCliRunner
from sqlalchemy import update

from hotline.db import session_scope
from hotline.messaging.notices import (
    CallbackNotPlaced,
    Caller,
    CallNotTaken,
    ChargeRecorded,
    CoverageGap,
    DeliveryFailed,
    IntakeWindowClosed,
    NewReferral,
    Notice,
    OfficerMetParticipant,
    OfficerStatus,
    ParticipantReferredAgain,
    RecordingAfterAll,
    ShiftStarting,
    TakenByOther,
    Undelivered,
)
from hotline.messaging.segments import is_gsm, segments
from hotline.models import Officer, User
from hotline.simulator import SmsEmulator
from hotline.sms.notices import OFFICER_STATUS_WORDS, word_notice
from tests.sms.conftest import Program, converse, outbox
from tests.sms.test_commands import refer

SAT_MORNING = datetime(2026, 12, 5, 16, 0, tzinfo=UTC)  # Sat 08:00 in Seattle
SUN_MORNING = datetime(2026, 12, 6, 16, 0, tzinfo=UTC)
OFFICER = Caller("Maria Elena Castillo-Rodriguez", "King County Sheriff", "+12065550177")
# A long but real-looking example of each notice: its text must still fit two segments.
EXAMPLES: list[Notice] = [
    NewReferral(
        98765, "arrest_diversion", "subsistence_sale", OFFICER, "Jane Doe", "3rd Ave & Pine St"
    ),
    NewReferral(98765, None, None, Caller(None, None, "+12065550199", "4711"), None, None),
    CallNotTaken(
        98765, OFFICER, "+12065550177", "silent", "https://lead.example.org/referrals/98765"
    ),
    RecordingAfterAll(98765, "https://lead.example.org/referrals/98765", taken=False),
    RecordingAfterAll(98765, "https://lead.example.org/referrals/98765", taken=True),
    OfficerStatus(98765, "with_coordinator", "Anastasia Diaz-Okafor"),
    *[OfficerStatus(98765, status) for status in OFFICER_STATUS_WORDS],
    TakenByOther(98765, "Anastasia Diaz-Okafor"),
    IntakeWindowClosed(98765, 30),
    ShiftStarting(2, SAT_MORNING, SUN_MORNING, "America/Los_Angeles"),
    ShiftStarting(1, SAT_MORNING, None, "America/Los_Angeles"),
    CoverageGap(
        ((SAT_MORNING, SUN_MORNING),) * 3,
        4,
        "America/Los_Angeles",
        "https://lead.example.org/schedule",
    ),
    CoverageGap(
        ((SAT_MORNING, SUN_MORNING),) * 2 + ((SUN_MORNING, None),),
        4,
        "America/Los_Angeles",
        "https://lead.example.org/schedule",
    ),
    CallbackNotPlaced(98765, Undelivered("refused", "21211")),
    DeliveryFailed("+1206*****77", 98765, Undelivered("undelivered", "30003")),
    DeliveryFailed("+1206*****77", None, Undelivered("timed out", tries=6)),
    ChargeRecorded(98765, date(2026, 12, 2)),
    OfficerMetParticipant(
        98765, "Maria Elena Castillo", "Officer Smith", SAT_MORNING, "America/Los_Angeles"
    ),
    ParticipantReferredAgain(98765, "Maria Elena Castillo", OFFICER.name, 98766),
    ParticipantReferredAgain(98765, "Maria Elena Castillo", None, 98766),
]
# Words Twilio's opt-out handling reserves (SPEC §5), and the Spanish words carriers use.
RESERVED = {
    "STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "OPTOUT", "REVOKE", "START",
    "UNSTOP", "YES", "PARAR", "CANCELAR", "DETENER", "ALTO", "FIN",
}  # fmt: skip


@pytest.mark.parametrize("language", ["en", "es"])
@pytest.mark.parametrize("notice", EXAMPLES, ids=lambda n: type(n).__name__)
def test_each_notice_fits_two_segments_and_suggests_no_reserved_word(
    notice: Notice, language: str
) -> None:
    text = word_notice(notice, language)
    assert segments(text) <= 2, text
    assert not set(re.findall(r"[A-ZÁÉÍÓÚ]{2,}", text)) & RESERVED, text


@pytest.mark.parametrize("notice", EXAMPLES, ids=lambda n: type(n).__name__)
def test_spanish_is_spanish_and_keeps_the_referral_number(notice: Notice) -> None:
    english, spanish = word_notice(notice, "en"), word_notice(notice, "es")
    assert spanish != english
    for number in re.findall(r"#\d+", english):
        assert number in spanish


def test_the_officer_status_words_have_exact_spanish_equivalents() -> None:
    said = {s: word_notice(OfficerStatus(42, s), "es") for s in OFFICER_STATUS_WORDS}
    assert said == {
        "received": "LEAD #42: recibida.",
        "with_coordinator": "LEAD #42: con un coordinador.",
        "not_accepted": "LEAD #42: no aceptada.",
        "intake_completed": "LEAD #42: ingreso completado.",
        "intake_missed": "LEAD #42: ingreso no completado.",
    }


def test_spanish_dates_read_day_first_and_a_shift_with_no_end_lasts_until_further_notice() -> None:
    text = word_notice(ShiftStarting(1, SAT_MORNING, SUN_MORNING, "America/Los_Angeles"), "es")
    assert (
        text == "Usted esta de guardia LEAD (nivel 1) desde sab 05/12 08:00 hasta dom 06/12 08:00."
    )
    english = word_notice(ShiftStarting(1, SAT_MORNING, None, "America/Los_Angeles"), "en")
    assert english == "You are LEAD on-call (tier 1) from Sat 12/05 08:00 until further notice."
    spanish = word_notice(ShiftStarting(1, SAT_MORNING, None, "America/Los_Angeles"), "es")
    assert spanish == (
        "Usted esta de guardia LEAD (nivel 1) desde sab 05/12 08:00 hasta nuevo aviso."
    )


def test_accents_are_folded_only_when_that_keeps_the_text_gsm() -> None:
    spanish = word_notice(TakenByOther(42, "José Muñoz"), "es")
    assert spanish == "LEAD #42 la tomo José Muñoz. No hay nada que hacer."  # é and ñ are GSM
    assert segments(spanish) == 1
    unfoldable = word_notice(TakenByOther(42, "Lý Thị Hương"), "es")
    assert unfoldable == "LEAD #42 la tomó Lý Thị Hương. No hay nada que hacer."


def test_a_spanish_alert_keeps_the_place_that_fits_once_its_accents_are_folded() -> None:
    place = "the corner of 3rd Avenue and Pine Street, outside the bus shelter, north side"
    notice = NewReferral(42, "arrest_diversion", "possession", OFFICER, "Jane Doe", place)
    spanish = word_notice(notice, "es")  # "Desvío", "posesión": folded, the text is GSM-7
    assert spanish.endswith(f"Jane Doe en {place}."), spanish
    assert is_gsm(spanish) and segments(spanish) == 2


def speaks(app: Flask, model: type[User] | type[Officer], phone: str, language: str) -> None:
    with session_scope(app) as session:
        session.execute(update(model).where(model.phone == phone).values(language=language))


class TestEachReaderReadsTheirLanguage:
    """The same referral texts a Spanish reader in Spanish and an English one in English."""

    def test_a_spanish_coordinator_is_alerted_in_spanish(
        self, app: Flask, phone: SmsEmulator, program: Program
    ) -> None:
        speaks(app, User, program.ana.phone, "es")
        number = refer(phone, program)
        [alert] = outbox(app, program.ana.phone)
        assert alert.startswith(f"LEAD #{number}: responda ACK {number} para tomarla. ")
        assert "Desvio de arresto, posesion de Agente Smith" in alert  # folded: GSM-7

    def test_a_spanish_officer_hears_who_took_it_in_spanish_and_others_in_english(
        self, app: Flask, phone: SmsEmulator, program: Program, runner: FlaskCliRunner
    ) -> None:
        speaks(app, Officer, program.officer.phone, "es")
        number = refer(phone, program)
        converse(phone, program.ana.phone, f"ACK {number}")
        assert outbox(app, program.officer.phone)[-1] == (
            f"LEAD #{number}: con un coordinador, {program.ana.name}."
        )
        assert outbox(app, program.ana.phone)[0].startswith(f"LEAD #{number}: Reply ACK")

    def test_a_caller_nobody_knows_reads_the_program_language(
        self, app: Flask, phone: SmsEmulator, program: Program
    ) -> None:
        app.config["HOTLINE_LANGUAGE"] = "es"  # read by the wording installed at start
        with session_scope(app) as session:
            assert word_notice(OfficerStatus(1, "received"), None, default_language="es") == (
                "LEAD #1: recibida."
            )
            assert session.info  # the app's sessions carry the wording
