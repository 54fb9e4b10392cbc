"""What real phones put into a text: invisible characters, wide letters, keyboard punctuation."""

from __future__ import annotations

from flask import Flask

from hotline.simulator import SmsEmulator
from hotline.sms.prompts import PROMPTS
from tests.sms.conftest import STRANGER, Program, converse
from tests.sms.test_commands import refer, status_of
from tests.sms.test_intake import referrals

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
