"""Two coordinators ACK at the same moment: exactly one takes the referral."""

from __future__ import annotations

import functools

from flask import Flask

from hotline.db import session_scope
from hotline.models import Referral
from hotline.simulator import SmsEmulator, flask_poster
from tests.races import at_once
from tests.sms.conftest import HOTLINE, Program
from tests.sms.test_commands import refer


def acks_at_once(app: Flask, number: int, senders: list[str]) -> dict[str, str]:
    """Text `ACK number` from each sender at the same moment; return each one's reply."""

    def ack(sender: str) -> str:
        # Each worker has its own client, app context and database session.
        token = app.config["TWILIO_AUTH_TOKEN"]
        own_phone = SmsEmulator(flask_poster(app.test_client()), token, "http://localhost", HOTLINE)
        return own_phone.send(sender, f"ACK {number}").replies[0]

    replies = at_once(*(functools.partial(ack, sender) for sender in senders))
    return dict(zip(senders, replies, strict=True))


def test_simultaneous_acks_have_one_winner(
    app: Flask, phone: SmsEmulator, program: Program
) -> None:
    numbers = [refer(phone, program) for _ in range(8)]
    for number in numbers:
        replies = acks_at_once(app, number, [program.ana.phone, program.ben.phone])
        winners = [
            sender for sender, reply in replies.items() if reply.startswith(f"You have #{number}")
        ]
        assert len(winners) == 1, replies
        loser = next(sender for sender in replies if sender not in winners)
        assert replies[loser].startswith(f"#{number} is already taken by ")
        with session_scope(app) as session:
            referral = session.get_one(Referral, number)
            winner_id = program.ana.id if winners == [program.ana.phone] else program.ben.id
            assert (referral.status, referral.acknowledged_by) == ("acknowledged", winner_id)
