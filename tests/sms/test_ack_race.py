"""Two coordinators ACK at the same moment: exactly one takes the referral."""

from __future__ import annotations

import threading

from flask import Flask

from hotline.db import session_scope
from hotline.models import Referral
from hotline.simulator import SmsEmulator, flask_poster
from tests.sms.conftest import HOTLINE, Program
from tests.sms.test_commands import refer


def test_simultaneous_acks_have_one_winner(
    app: Flask, phone: SmsEmulator, program: Program
) -> None:
    numbers = [refer(phone, program) for _ in range(8)]
    for number in numbers:
        barrier = threading.Barrier(2)
        replies: dict[str, str] = {}

        def ack(
            sender: str,
            number: int = number,
            barrier: threading.Barrier = barrier,
            replies: dict[str, str] = replies,
        ) -> None:
            # Each thread has its own client, app context and database session.
            own_phone = SmsEmulator(
                flask_poster(app.test_client()),
                app.config["TWILIO_AUTH_TOKEN"],
                "http://localhost",
                HOTLINE,
            )
            barrier.wait()
            replies[sender] = own_phone.send(sender, f"ACK {number}").replies[0]

        threads = [
            threading.Thread(target=ack, args=(p,)) for p in (program.ana.phone, program.ben.phone)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
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
