"""Email intake throughput: 10,000 generated emails through the whole pipeline (store the raw
row, parse, match the customer, thread, create the ticket or append the message, mark the row)
in one process, as one Celery worker process would run it. Reference in the same run, in
interleaved blocks: the bare `customer_resolve` + `ticket_create` for the same kind of ticket,
so the ratio is what intake (raw row, parsing, threading, two transactions) adds.

Runs in a subprocess against the benchmark database (Celery eager: the queued processing runs
in-process right after each commit, exactly the code a worker runs).
"""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
import tempfile
import time
import uuid
from email.message import EmailMessage
from pathlib import Path

from . import harness
from .load import median

COUNT = 10_000
REFERENCE_COUNT = 2_000


def _new_conversation(msg: EmailMessage, index: int, roll: float) -> None:
    """A new conversation: multipart/alternative, HTML-only, or a legacy charset; some
    carry an attachment (a PDF, or an inline screenshot)."""
    msg["Subject"] = f"Order question {index}"
    text = f"Hello,\n\norder {index} has not arrived.\n\nRegards"
    html = f"<p>Hello,</p><p>order <b>{index}</b> has not arrived.</p>"
    if roll < 0.50:
        msg.set_content(text)
        msg.add_alternative(html, subtype="html")
    elif roll < 0.60:  # HTML only (many webmail and ticket-form mailers)
        msg.set_content(html, subtype="html")
    elif roll < 0.70:  # a legacy charset: Latin-1 quoted-printable
        msg.set_content(f"Grüße, Bestellung {index} fehlt. Müller", charset="iso-8859-1")
    elif roll < 0.75:  # a legacy charset: Shift_JIS (8bit)
        msg.set_content(f"注文 {index} が届きません。", charset="shift_jis", cte="8bit")
    else:
        msg.set_content(text)
    if roll >= 0.90:
        msg.add_attachment(
            b"%PDF-1.4\n" + b"0" * 20_000,
            maintype="application",
            subtype="pdf",
            filename="invoice.pdf",
        )
    elif roll >= 0.85:
        msg.add_attachment(
            b"\x89PNG\r\n\x1a\n" + b"\x00" * 8_000,
            maintype="image",
            subtype="png",
            filename="screenshot.png",
        )


def generate(count: int, run_id: str) -> list[bytes]:
    """A realistic mix: ~62% new conversations (half multipart/alternative, 10% HTML-only,
    15% in a legacy charset, ~15% with an attachment), 30% replies (In-Reply-To an earlier
    one, quoted history to trim), 3% auto-replies and 1% bounces (ignored); 1,000 distinct
    senders."""
    rng = random.Random(count)
    emails, earlier = [], []
    for index in range(count):
        msg = EmailMessage()
        sender = f"customer{rng.randrange(1000)}@example.com"
        message_id = f"<{run_id}.{index}@bench.example>"
        msg["From"] = f"Customer {sender.split('@')[0]} <{sender}>"
        msg["To"] = "bench@acme.test"
        msg["Message-ID"] = message_id
        msg["Date"] = "Tue, 01 Dec 2026 10:00:00 +0000"
        roll = rng.random()
        if roll < 0.30 and earlier:
            parent_id, parent_sender = rng.choice(earlier)
            msg.replace_header("From", parent_sender)
            msg["Subject"] = "Re: Order question"
            msg["In-Reply-To"] = parent_id
            msg["References"] = parent_id
            msg.set_content("Thanks, one more thing.\n\nOn Mon, Acme wrote:\n> Hello\n> Regards")
        elif roll < 0.33:
            msg["Subject"] = "Automatic reply: Order question"
            msg["Auto-Submitted"] = "auto-replied"
            msg.set_content("I am out of the office.")
        elif roll < 0.34:
            msg.replace_header("From", "MAILER-DAEMON@mx.example.com")
            msg["Subject"] = "Undelivered Mail Returned to Sender"
            msg.set_content(f"Your message to {sender} could not be delivered.")
        else:
            _new_conversation(msg, index, rng.random())
            earlier.append((message_id, msg["From"]))
        emails.append(msg.as_bytes())
    return emails


def bench_mailbox():
    """The benches' email channel (bench@acme.test), created on first use."""
    from tickets.channels.config import channel_save
    from tickets.channels.models import Channel

    return Channel.objects.filter(name="Bench mailbox").first() or channel_save(
        channel=Channel(),
        kind="email",
        name="Bench mailbox",
        settings={"address": "bench@acme.test"},
    )


def store(channel, raw: bytes) -> None:
    """What a mail door does with one email: store it and commit (the processing is queued
    on commit; Celery eager runs it right after, exactly the code a worker runs)."""
    from django.db import transaction

    from tickets.channels.email.parse import dedupe_key
    from tickets.channels.intake import intake_store

    with transaction.atomic():
        intake_store(channel=channel, dedupe_key=dedupe_key(raw), raw_bytes=raw)


def _profiler():
    """pyinstrument over the intake blocks only, when INTAKE_PROFILE names the output file."""
    if not os.environ.get("INTAKE_PROFILE"):
        return None
    from pyinstrument import Profiler

    return Profiler(interval=0.0005)


def _worker(count: int, reference_count: int) -> dict:
    import django

    django.setup()
    from django.db import connection
    from django.db.models import Count

    from customers.services import IdentityInput, customer_resolve
    from tickets.channels.models import InboundMessage
    from tickets.services import ticket_create

    channel = bench_mailbox()
    # Fresh planner statistics, as autovacuum keeps them in production: a table that grew by
    # tens of thousands of rows since it was last analyzed gets absurd plans (a thread lookup
    # scanning every key of the channel: 70 ms instead of 0.05 ms).
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    run_id = uuid.uuid4().hex[:12]
    emails = generate(count, run_id)

    def reference_block(first: int, size: int) -> float:
        started = time.perf_counter()
        for index in range(first, first + size):
            customer = customer_resolve(
                identities=[IdentityInput("email", f"customer{index % 1000}@example.com")]
            )
            ticket_create(
                requester=customer,
                subject=f"Order question {index}",
                body=f"Hello,\n\norder {index} has not arrived.\n\nRegards",
                html_body=f"<p>Hello,</p><p>order <b>{index}</b> has not arrived.</p>",
                channel="email",
            )
        return time.perf_counter() - started

    # Interleaved blocks, so the pipeline and its reference see the same machine load (the
    # benchmark machine is shared; a reference measured minutes later is not the same run).
    blocks = 20
    per_block, ref_per_block = count // blocks, reference_count // blocks
    elapsed = reference = 0.0
    profiler = _profiler()
    for block in range(blocks):
        if profiler:
            profiler.start()
        started = time.perf_counter()
        for raw in emails[block * per_block : (block + 1) * per_block]:
            store(channel, raw)
        elapsed += time.perf_counter() - started
        if profiler:
            profiler.stop()
        reference += reference_block(block * ref_per_block, ref_per_block)
    if profiler:
        Path(os.environ["INTAKE_PROFILE"]).write_text(
            profiler.output_text(show_all=False, color=False, time="percent_of_total")
        )
    count, reference_count = per_block * blocks, ref_per_block * blocks
    states = dict(
        InboundMessage.objects.filter(dedupe_key__startswith=run_id)
        .values_list("state")
        .annotate(n=Count("id"))
    )
    return {
        "rate": count / elapsed,
        "reference_rate": reference_count / reference,
        "states": states,
    }


def run(*, runs: int = 3, count: int = COUNT) -> list[dict]:
    harness.ensure_database()
    rates, references = [], []
    for _ in range(runs):
        with tempfile.TemporaryDirectory() as media:
            out = subprocess.run(
                [sys.executable, "-m", "bench.email_intake", "--worker", str(count)],
                cwd=harness.ROOT,
                env=harness.environment(
                    CELERY_TASK_ALWAYS_EAGER="1", MEDIA_ROOT=media, LOG_LEVEL="ERROR"
                ),
                capture_output=True,
                text=True,
                check=True,
            ).stdout
        result = json.loads(out.strip().splitlines()[-1])
        rates.append(result["rate"])
        references.append(result["reference_rate"])
        print(f"email intake run: {result}", file=sys.stderr)
    rate, reference = median(rates), median(references)
    return [
        {
            "benchmark": f"email intake ({count:,} emails, 1 process)",
            "value": rate,
            "unit": "msg/s",
            "reference": f"bare ticket_create {reference:.1f}/s",
            "ratio": rate / reference,
        }
    ]


if __name__ == "__main__":
    if len(sys.argv) == 2 and sys.argv[1] == "--profile":
        # `python -m bench.email_intake --profile`: one run of 2,000, its profile in var/.
        target = harness.ROOT / "var" / "profiles" / "email_intake.txt"
        target.parent.mkdir(parents=True, exist_ok=True)
        os.environ["INTAKE_PROFILE"] = str(target)
        print(run(runs=1, count=2_000)[0])
        print(f"profile: {target}")
    elif len(sys.argv) == 3 and sys.argv[1] == "--worker":
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
        print(json.dumps(_worker(int(sys.argv[2]), REFERENCE_COUNT)))
    else:
        for row in run(runs=1):
            print(row)
