"""What real phones put into a text: invisible characters, wide letters, keyboard punctuation."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from flask import Flask
from flask.testing import FlaskClient

from hotline.db import session_scope
from hotline.messaging.segments import segments
from hotline.models import Conversation, User
from hotline.simulator import SmsEmulator, flask_poster
from hotline.simulator.sms import replies_of
from hotline.simulator.transport import sign
from hotline.sms.prompts import PROMPTS
from tests.sms.conftest import STRANGER, Program, converse, outbox
from tests.sms.test_commands import refer, status_of
from tests.sms.test_intake import ARREST, referrals

WIDE = str.maketrans("0123456789", "０１２３４５６７８９")


def test_invisible_characters_and_wide_letters_do_not_hide_a_command(
    app: Flask, phone: SmsEmulator, program: Program
) -> None:
    number = refer(phone, program)
    officer = program.officer.phone
    said = f"LEAD #{number}: received."
    # A zero-width space or joiner pasted in, a byte-order mark, a wide (CJK keyboard) word.
    assert converse(phone, officer, f"status {number}\u200b")[-1] == said
    assert converse(phone, officer, f"\ufeffSTATUS {number}")[-1] == said
    assert converse(phone, officer, f"ＳＴＡＴＵＳ {number}".translate(WIDE))[-1] == said
    assert converse(phone, officer, "HELP\u200d")[-1].startswith("LEAD hotline.")
    reply = converse(phone, program.ana.phone, f"Ａｃｋ\u2060 #{number}")[-1]
    assert reply.startswith(f"You have #{number}") and status_of(app, number) == "acknowledged"


def test_intake_answers_with_invisible_characters_or_wide_letters_are_read(
    app: Flask, phone: SmsEmulator, program: Program
) -> None:
    officer = program.officer.phone
    replies = converse(phone, officer, "REFER", "１\u200b", "\u200b", "Jane Doe", "2", "Pine")
    assert replies[1] == PROMPTS["name"]
    assert replies[2].startswith("Please reply with a name")  # nothing visible is no name
    assert replies[3] == PROMPTS["offense"]
    replies = converse(phone, officer, "Ｙ", "ＳＥＮＤ\u200b")
    assert replies[-1].startswith("Sent: LEAD referral #")
    (referral,) = referrals(app)
    assert (referral.type, referral.participant_name) == ("arrest_diversion", "Jane Doe")


def test_spanish_opening_marks_keep_a_keyword_and_its_language(
    phone: SmsEmulator, program: Program
) -> None:
    number = refer(phone, program)
    assert converse(phone, STRANGER, "¿Ayuda?")[-1].startswith("Linea LEAD. Agentes:")
    assert converse(phone, "+12065550667", "¡Ayuda!")[-1].startswith("Linea LEAD. Agentes:")
    status = converse(phone, program.officer.phone, f"¿Estado {number}?")[-1]
    assert status == f"LEAD #{number}: recibida.", status
    started = converse(phone, "+12065550668", "¡Referir!")[-1]
    assert started.startswith("Remision LEAD."), started


def test_intake_choices_ended_by_the_keyboard_are_read_but_a_questioned_consent_is_asked_again(
    app: Flask, phone: SmsEmulator, program: Program
) -> None:
    officer = program.officer.phone
    replies = converse(phone, officer, "REFER", "1.", "Jane Doe", "1!", "Pine", "Y?", "Sí.")
    assert replies[1:4] == [PROMPTS["name"], PROMPTS["offense"], PROMPTS["location"]]
    assert replies[5].startswith("Please reply Y or N.")  # "Y?" may be a doubt: asked again
    assert replies[6].startswith("Referral: Arrest diversion, possession, Jane Doe")
    assert converse(phone, officer, "Send!")[-1].startswith("Sent: LEAD referral #")
    declined = converse(phone, officer, "REFER", "2", "John Roe", "Union Station", "No.")[-1]
    assert declined.startswith("Understood: no referral was made")
    assert len(referrals(app)) == 1


def test_words_after_the_referral_number_are_answered_for_what_they_are(
    app: Flask, phone: SmsEmulator, program: Program
) -> None:
    number = refer(phone, program)
    status = converse(phone, program.officer.phone, f"status {number} thanks")[-1]
    assert status == f"LEAD #{number}: received."
    # Taking or closing a referral is done only as written: "ACK 42 can't" must not take it.
    for text in (f"ack {number} thanks", f"ACK #{number}, can't 👍", f"CALL {number} please"):
        reply = converse(phone, program.ana.phone, text)[-1]
        command = text.split(" ", 1)[0].upper()
        assert reply == f"Nothing done: reply {command} {number} alone, with no other words."
    assert status_of(app, number) == "notified"
    converse(phone, program.ana.phone, f"ACK {number}")
    reply = converse(phone, program.ana.phone, f"INTAKE {number} no show")[-1]
    assert reply == f"Nothing done: reply INTAKE {number} alone, with no other words."
    assert status_of(app, number) == "acknowledged"
    officer_tried = converse(phone, program.officer.phone, f"ACK {number} thanks")[-1]
    assert officer_tried.startswith("Sorry, ACK is for LEAD coordinators.")


def test_a_spanish_coordinator_is_told_in_spanish_to_send_the_command_alone(
    app: Flask, phone: SmsEmulator, program: Program
) -> None:
    number = refer(phone, program)
    with session_scope(app) as session:
        session.get_one(User, program.ana.id).language = "es"
    reply = converse(phone, program.ana.phone, f"ACK {number} gracias")[-1]
    assert reply == f"No se hizo nada: responda ACK {number} solo, sin otras palabras."


def picture(
    phone: SmsEmulator, client: FlaskClient, app: Flask, sender: str, body: str = ""
) -> str:
    """Send an MMS (one picture) signed as Twilio does; return the reply."""
    url = "http://localhost/sms/incoming"
    params = {
        "AccountSid": "AC" + "0" * 32,
        "MessageSid": "MM" + uuid.uuid4().hex,
        "From": sender,
        "To": phone.hotline,
        "Body": body,
        "NumMedia": "1",
        "MediaUrl0": "https://api.twilio.com/2010-04-01/Accounts/AC0/Messages/MM0/Media/ME0",
        "MediaContentType0": "image/jpeg",
    }
    answer = flask_poster(client)(url, params, sign(app.config["TWILIO_AUTH_TOKEN"], url, params))
    assert answer.status == 200
    (reply,) = replies_of(answer.body)
    return reply


def test_a_picture_without_words_is_told_the_hotline_reads_words_only(
    app: Flask, client: FlaskClient, phone: SmsEmulator, program: Program
) -> None:
    reply = picture(phone, client, app, program.officer.phone)
    assert reply.startswith("Pictures and other media are not read: please text words.")
    assert "REFER starts a referral" in reply
    asked = picture(phone, client, app, STRANGER, "REFER")  # words with it: read as ever
    assert asked.startswith("LEAD referral. Reply with your badge number")


def test_a_picture_or_shared_location_amid_an_intake_is_told_words_only_and_asked_again(
    app: Flask, client: FlaskClient, phone: SmsEmulator, program: Program
) -> None:
    officer = program.officer.phone
    converse(phone, officer, "REFER", "1", "Jane Doe", "1")  # the intake asks where
    # A phone's "share my location" is an attachment without words: nothing says where.
    reply = picture(phone, client, app, officer)
    assert (
        reply == "Pictures and other media are not read: please text words. " + PROMPTS["location"]
    )
    assert converse(phone, officer, "3rd & Pine")[-1] == PROMPTS["consent"]
    with session_scope(app) as session:
        assert session.get_one(Conversation, officer).answers["location"] == "3rd & Pine"


def test_send_with_no_referral_in_progress_says_nothing_was_left_to_send(
    app: Flask, phone: SmsEmulator, program: Program
) -> None:
    officer = program.officer.phone
    sent = converse(phone, officer, *ARREST, "SEND")[-1]
    number = int(sent.split("#", 1)[1].split(".", 1)[0])
    again = converse(phone, officer, "SEND")[-1]  # the phone sent it twice, a new MessageSid
    # The first reply may be late: the second names what went, not "no referral".
    assert again == (
        f"Nothing to send: your referral #{number} was sent. "
        f"STATUS {number} tells where it is; REFER starts a new one."
    )
    assert len(referrals(app)) == 1
    spanish = converse(phone, STRANGER, "REFERIR", "555", "2", "Juan", "Pine", "S", "enviar")[-1]
    assert spanish.startswith("Enviada: remision LEAD #")
    sent_es = int(spanish.split("#", 1)[1].split(".", 1)[0])
    assert converse(phone, STRANGER, "Enviar")[-1].startswith(
        f"Nada que enviar: su remision #{sent_es} ya se envio."
    )
    assert converse(phone, "+12065550668", "SEND")[-1].startswith(
        "Nothing to send: no referral is in progress. STATUS 42 tells"
    )
    converse(phone, officer, "REFER", "1")
    with session_scope(app) as session:
        session.get_one(Conversation, officer).updated_at = datetime.now(UTC) - timedelta(hours=1)
    expired = converse(phone, officer, "SEND")[-1]
    assert expired.startswith("Your referral in progress expired"), expired
    assert converse(phone, officer, f"STATUS {number}")[-1] == f"LEAD #{number}: received."


def test_a_long_place_is_shortened_in_the_coordinators_alert_at_a_word_not_inside_one(
    app: Flask, phone: SmsEmulator, program: Program
) -> None:
    place = "Under the Aurora Bridge near the north stairway by " + "Fremont Canal Park " * 20
    converse(phone, program.officer.phone, "REFER", "2", "Jane Doe", place, "Y", "SEND")
    (alert,) = outbox(app, program.ana.phone)
    assert segments(alert) <= 2 and alert.endswith("...") and "Jane Doe at Under the" in alert
    kept = alert.removesuffix("...").split(" at ", 1)[1]
    assert place.startswith(kept) and place[len(kept)] == " ", kept  # whole words only


def test_a_choice_sent_twice_is_not_taken_for_the_name_or_the_place(
    app: Flask, phone: SmsEmulator, program: Program
) -> None:
    officer = program.officer.phone
    # Each answer arrives twice, the second with a new MessageSid (a phone's resend).
    replies = converse(phone, officer, "REFER", "1", "1", "Jane Doe", "1", "1", "3rd & Pine")
    assert replies[2].startswith("Please reply with a name") and replies[3] == PROMPTS["offense"]
    assert replies[5].startswith("Please reply with an address")
    assert replies[6] == PROMPTS["consent"]
    summary = converse(phone, officer, "Y")[-1]
    assert summary.startswith("Referral: Arrest diversion, possession, Jane Doe, at 3rd & Pine")
