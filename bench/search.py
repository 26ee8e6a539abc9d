"""Ticket search at 1,000,000 tickets and 5,000,000 messages (`python -m bench search`).

Seeds (once, SQL generate_series, triggers off, then the search documents built in one
statement with the triggers' own expressions) a database of its own
(BENCH_SEARCH_DATABASE_URL, default `hd_bench_search`): BENCH_SEARCH_TICKETS (1,000,000)
tickets over 10 teams, 5 messages each (one an internal note), 100,000 customers with an
email and a phone identity each (names in Latin, Cyrillic and Persian letters). A ticket is
written in one of English, Russian, Latvian, Lithuanian or Persian: subject of 3-5 words,
bodies of 12-21 words drawn Zipf-like from ~40 support words of its language (the most
frequent in most tickets of that language) and, in one message of three, an order number.

Then, in this process with Django set up against that database (DEBUG off), through the
full Django/DRF stack (test client, no socket) with an agent's token (one team of ten: the
visibility rule is part of every search) and a manager's, REQUESTS requests per kind after a
warm-up: GET /api/v1/tickets/?search= for frequent words, two words, Russian inflected
forms, Latvian/Lithuanian/Persian words, partial emails, names, ticket numbers and order
numbers. Same-run references: GET /api/v1/tickets/{id}/ (a primary-key lookup through the
same stack) and GET /api/v1/ping/. Figures: p50 and p99 in ms.

Then the breakdown (printed, not in the table; BENCH_SEARCH_BREAKDOWN=0 skips it): per
sampled query string, its p50 and max in the timed requests above, and, from
BENCH_SEARCH_PROFILE_REPEAT (5) more requests each with the statements captured, where the
time goes: each statement's kind (candidates with their ranking, identities, the page of
tickets, prefetches, counts, highlights, the rest) and what is left for Python (DRF,
serialization); then EXPLAIN (ANALYZE, BUFFERS) of the slowest statements of the slowest
samples (BENCH_SEARCH_EXPLAIN of them, 4), which shows the plan, the buffers read and any JIT.
"""

from __future__ import annotations

import os
import random
import statistics
import time
from collections import defaultdict
from urllib.parse import urlparse

import psycopg

from . import harness, search_breakdown

DATABASE_URL = os.environ.get(
    "BENCH_SEARCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/hd_bench_search"
)
TICKETS = int(os.environ.get("BENCH_SEARCH_TICKETS", "1000000"))
CUSTOMERS = max(TICKETS // 10, 10)
REQUESTS = int(os.environ.get("BENCH_SEARCH_REQUESTS", "200"))
BREAKDOWN = os.environ.get("BENCH_SEARCH_BREAKDOWN", "1") != "0"
PROFILE_REPEAT = int(os.environ.get("BENCH_SEARCH_PROFILE_REPEAT", "5"))
EXPLAIN = int(os.environ.get("BENCH_SEARCH_EXPLAIN", "4"))

WORDS = {
    "en": "order delivery payment refund invoice account password shipping tracking return "
    "exchange warranty subscription card address parcel courier discount coupon store login "
    "email phone settings gift size stock price cancel change update receipt customer "
    "support plan upgrade billing damaged late missing broken",
    "ru": "заказ заказа заказом доставка доставки доставкой оплата оплаты возврат возврата "
    "посылка посылки курьер курьером счёт пароль адрес скидка купон магазин телефон "
    "подписка карта размер цена отмена изменение чек клиент поддержка тариф сломан "
    "опоздание повреждена пришла товар деньги неделю",
    "lv": "pasūtījums pasūtījuma piegāde piegādes maksājums atmaksa rēķins konts parole "
    "sūtījums kurjers atlaide kupons veikals tālrunis abonements karte izmērs cena atcelt "
    "maiņa čeks klients atbalsts bojāts kavējas pazudis prece nauda nedēļa adrese",
    "lt": "užsakymas užsakymo pristatymas pristatymo mokėjimas grąžinimas sąskaita paskyra "
    "slaptažodis siunta siuntos kurjeris nuolaida kuponas parduotuvė telefonas prenumerata "
    "kortelė dydis kaina atšaukti keitimas kvitas klientas pagalba sugadintas vėluoja "
    "dingo prekė pinigai savaitė adresas",
    "fa": "سفارش ارسال پرداخت بازپرداخت فاکتور حساب رمز بسته پیک تخفیف کوپن فروشگاه تلفن "
    "اشتراک کارت اندازه قیمت لغو تغییر رسید مشتری پشتیبانی آسیب تاخیر گم کالا پول هفته "
    "آدرس تحویل",
}
LANGS = list(WORDS)
FIRST = "Anna Kim Maria Ivan Olga Janis Liga Tomas Ruta Sara Reza Maryam Ali Peter Laura"
LAST = "Ivanova Petrov Berzina Kalnins Kazlauskas Jonaitis Rahimi Karimi Smith Brown Ozols"
CYRILLIC = "Анна Иван Ольга Мария Сергей Петров Иванова Смирнов Кузнецова"
PERSIAN = "رضا مریم علی سارا کریمی رحیمی"


def _ensure_database() -> None:
    url = urlparse(DATABASE_URL)
    admin = url._replace(path="/postgres").geturl()
    with psycopg.connect(admin, autocommit=True) as conn:
        name = url.path.lstrip("/")
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')
    harness.manage("migrate", "--noinput", DATABASE_URL=DATABASE_URL)


def _setup_django() -> None:
    os.environ.update(harness.environment(DATABASE_URL=DATABASE_URL))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()


def _vocab_sql() -> str:
    rows = ", ".join(
        f"({n}, string_to_array('{WORDS[lang]}', ' '))" for n, lang in enumerate(LANGS)
    )
    return f"vocab(lang, words) AS (VALUES {rows})"


SEED = [
    "SET session_replication_role = replica",  # no triggers while seeding (built below)
    "TRUNCATE tickets_ticketsearch, tickets_message, tickets_ticket_tags, tickets_ticket, "
    "customers_customeridentity, customers_customer CASCADE",
    "DROP INDEX IF EXISTS ticket_search_document_idx",
    "DROP INDEX IF EXISTS ticket_search_notes_idx",
    "DROP INDEX IF EXISTS ticket_search_team_idx",
    "DROP INDEX IF EXISTS ticket_search_assignee_idx",
    """INSERT INTO customers_customer (id, name, created_at, updated_at,
        is_organization_contact, locale)
    SELECT c, CASE c % 3
        WHEN 0 THEN (string_to_array(%(first)s, ' '))[1 + c % 15] || ' '
                    || (string_to_array(%(last)s, ' '))[1 + (c / 15) % 11]
        WHEN 1 THEN (string_to_array(%(cyr)s, ' '))[1 + c % 9] || ' '
                    || (string_to_array(%(cyr)s, ' '))[1 + (c / 9) % 9]
        ELSE (string_to_array(%(fa)s, ' '))[1 + c % 6] || ' '
             || (string_to_array(%(fa)s, ' '))[1 + (c / 6) % 6] END,
        now(), now(), false, ''
    FROM generate_series(1, %(customers)s) c""",
    """INSERT INTO customers_customeridentity (kind, platform, value, created_at, customer_id,
        undeliverable_reason)
    SELECT 'email', '', lower((string_to_array(%(first)s, ' '))[1 + c % 15]) || '.'
        || lower((string_to_array(%(last)s, ' '))[1 + (c / 15) % 11]) || c || '@example'
        || (c % 50) || '.com', now(), c, ''
    FROM generate_series(1, %(customers)s) c
    UNION ALL
    SELECT 'phone', '', '+3712' || lpad(c::text, 7, '0'), now(), c, ''
    FROM generate_series(1, %(customers)s) c""",
    """WITH """
    + _vocab_sql()
    + """
    INSERT INTO tickets_ticket (id, subject, status, priority, type, channel, kind,
        external_ref, created_at, updated_at, outside_plan, version, requester_id, team_id)
    SELECT t, (SELECT string_agg(v.words[1 + floor(random() ^ 2 * array_length(v.words, 1))::int],
                                 ' ')
               FROM vocab v, generate_series(1, 3 + t % 3) g WHERE v.lang = t % 5 AND g > t * 0),
        (ARRAY['open', 'pending', 'solved', 'new', 'closed'])[1 + t % 5], 1 + t % 4,
        'question', 'email', 'reactive', '',
        now() - (%(tickets)s - t) * interval '30 seconds',
        now() - (%(tickets)s - t) * interval '30 seconds',
        false, 1, 1 + t % %(customers)s, 1 + (t / 5) % 10
    FROM generate_series(1, %(tickets)s) t""",
    """WITH """
    + _vocab_sql()
    + """
    INSERT INTO tickets_message (ticket_id, direction, is_public, channel, body_text, body_html,
        external_id, withheld_parts, created_at)
    SELECT t, CASE WHEN k % 2 = 0 THEN 'inbound' ELSE 'outbound' END, k <> 3, 'email',
        (SELECT string_agg(v.words[1 + floor(random() ^ 2.5 * array_length(v.words, 1))::int],
                           ' ')
         FROM vocab v, generate_series(1, 12 + (t + k) % 10) g
         WHERE v.lang = t % 5 AND g > t * 0 + k * 0)
        || CASE WHEN (t + k) % 3 = 0 THEN ' #A' || (t * 7 + k) ELSE '' END,
        '', '', '[]'::jsonb,
        now() - (%(tickets)s - t) * interval '30 seconds' + k * interval '1 minute'
    FROM generate_series(1, %(tickets)s) t CROSS JOIN generate_series(0, 4) k""",
    """INSERT INTO tickets_ticketsearch (ticket_id, document, notes, team_id, assignee_id)
    SELECT t.id,
        setweight(to_tsvector('helpdesk', hd_search_fold(t.subject)), 'A')
        || setweight(to_tsvector('helpdesk', hd_search_fold(left(coalesce(
            string_agg(m.body_text, ' ' ORDER BY m.id) FILTER (WHERE m.is_public), ''),
            200000))), 'C'),
        to_tsvector('helpdesk', hd_search_fold(left(coalesce(
            string_agg(m.body_text, ' ' ORDER BY m.id) FILTER (WHERE NOT m.is_public), ''),
            200000))),
        t.team_id, t.assignee_id
    FROM tickets_ticket t JOIN tickets_message m ON m.ticket_id = t.id
    GROUP BY t.id""",
    "CREATE INDEX ticket_search_document_idx ON tickets_ticketsearch USING gin (document)",
    "CREATE INDEX ticket_search_notes_idx ON tickets_ticketsearch USING gin (notes)",
    # the model's (migration 0013), as Django names and defines them
    "CREATE INDEX ticket_search_team_idx ON tickets_ticketsearch (team_id, ticket_id DESC)",
    "CREATE INDEX ticket_search_assignee_idx ON tickets_ticketsearch (assignee_id, ticket_id DESC)"
    " WHERE assignee_id IS NOT NULL",
    "SELECT setval(pg_get_serial_sequence('tickets_ticket', 'id'), %(tickets)s)",
    "SELECT setval(pg_get_serial_sequence('customers_customer', 'id'), %(customers)s)",
    "SET session_replication_role = DEFAULT",
]


def _seed() -> dict:
    from accounts.models import Role, User
    from accounts.services import api_token_create
    from tickets.models import Team

    with psycopg.connect(DATABASE_URL, autocommit=True) as conn:
        have = conn.execute("SELECT count(*) FROM tickets_ticketsearch").fetchone()[0]
        if have != TICKETS:
            params = {
                "tickets": TICKETS,
                "customers": CUSTOMERS,
                "first": FIRST,
                "last": LAST,
                "cyr": CYRILLIC,
                "fa": PERSIAN,
            }
            conn.execute("SET maintenance_work_mem = '256MB'")
            teams = [Team.objects.get_or_create(name=f"Bench team {n}")[0] for n in range(10)]
            started = time.monotonic()
            for statement in SEED:
                step = time.monotonic()
                conn.execute(_fill(_team_ids(statement, teams), params))
                print(f"  {statement.split()[0:3]} {time.monotonic() - step:.0f} s", flush=True)
            conn.execute("VACUUM ANALYZE")
            print(f"seeded {TICKETS:,} tickets in {time.monotonic() - started:.0f} s", flush=True)
    agent = User.objects.filter(username="bench-search-agent").first() or User.objects.create(
        username="bench-search-agent", role=Role.AGENT
    )
    manager = User.objects.filter(username="bench-search-manager").first()
    manager = manager or User.objects.create(username="bench-search-manager", role=Role.MANAGER)
    team = Team.objects.get(name="Bench team 0")
    team.members.add(agent)
    return {
        "agent": api_token_create(user=agent, name="bench")[1],
        "manager": api_token_create(user=manager, name="bench")[1],
        "team": team.pk,
    }


def _fill(statement: str, params: dict) -> str:
    """Our own constants into the SQL as literals (no driver placeholders: the SQL is full
    of `%` operators)."""
    for name, value in params.items():
        literal = str(value) if isinstance(value, int) else "'" + value.replace("'", "''") + "'"
        statement = statement.replace(f"%({name})s", literal)
    return statement


def _team_ids(statement: str, teams) -> str:
    """The tickets' team is `1 + (t / 5) % 10` in the SQL; map it onto the real team ids."""
    ids = ", ".join(str(team.pk) for team in teams)
    return statement.replace("1 + (t / 5) % 10", f"(ARRAY[{ids}])[1 + (t / 5) % 10]")


def _percentile(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def _timed(call, count: int = REQUESTS, by_item: dict | None = None) -> list[float]:
    """`count` timings of `call(n)` after ten warm-up calls; when `call` returns what it asked
    for and a figure of its own (`(key, extra)`), each timing is also filed in `by_item` as
    `by_item[key] += [(ms, extra)]`."""
    for n in range(10):
        call(n)
    samples = []
    for n in range(count):
        started = time.perf_counter()
        asked = call(n)
        samples.append((time.perf_counter() - started) * 1000)
        if by_item is not None:
            by_item[asked[0]].append((samples[-1], asked[1]))
    return samples


def _queries(rng: random.Random) -> dict[str, list[str]]:
    en, ru = WORDS["en"].split(), WORDS["ru"].split()
    return {
        "frequent word (en)": en[:10],
        "two words (en)": [f"{a} {b}" for a, b in zip(en[:10], en[10:20], strict=True)],
        "Russian inflected (заказа, доставкой...)": ["заказа", "доставкой", "посылки", "курьера"],
        "Latvian / Lithuanian / Persian": ["piegādes", "pasutijums", "užsakymo", "سفارش"],
        "rarer word": en[-8:] + ru[-4:],
        "partial email": [f"anna.ivanova{rng.randint(1, CUSTOMERS)}@exa" for _ in range(20)],
        "name": ["Kazlauskas", "Иванова", "Rahimi", "Tomas Ozols"],
        "ticket number": [f"#{rng.randint(1, TICKETS)}" for _ in range(20)],
        "order number": [f"A{rng.randint(1, TICKETS) * 7}" for _ in range(20)],
    }


def run(*, runs: int = 3) -> list[dict]:
    _ensure_database()
    _setup_django()
    from django.test import Client
    from django.test.utils import setup_test_environment

    setup_test_environment()
    world = _seed()
    harness.freeze_like_servers("BENCH_SEARCH_GC_FREEZE")
    rng = random.Random(7)
    queries = _queries(rng)
    rows = []
    # (role, kind, query) -> [(ms, of which in the garbage collector)]
    per_query: dict[tuple[str, str, str], list[tuple[float, float]]] = defaultdict(list)
    clock = (
        search_breakdown.GcClock()
    )  # the collector's share of each timed search (a few microseconds each)
    for role in ("agent", "manager"):
        client = Client(headers={"Authorization": f"Token {world[role]}"})

        def detail(n, client=client):
            pk = 1 + (n * 7919) % TICKETS
            assert client.get(f"/api/v1/tickets/{pk}/").status_code in (200, 404)

        ref = [_timed(detail) for _ in range(runs)]
        ref_p50 = statistics.median(statistics.median(s) for s in ref)
        ref_p99 = statistics.median(_percentile(s, 0.99) for s in ref)
        every = []
        for name, items in queries.items():

            def call(n, items=items, client=client, name=name, role=role):
                item, collector = items[n % len(items)], clock.ms
                response = client.get("/api/v1/tickets/", {"search": item})
                assert response.status_code == 200, response.content[:300]
                return (role, name, item), clock.ms - collector

            samples = [_timed(call, by_item=per_query) for _ in range(runs)]
            every.extend(samples[-1])
            rows.append(_row(f"search as {role}: {name}", samples, ref_p50, ref_p99))
        rows.append(_row(f"search as {role}: all kinds", [every], ref_p50, ref_p99))
    if BREAKDOWN:
        search_breakdown.report(
            world, queries, per_query, clock, repeat=PROFILE_REPEAT, explain=EXPLAIN
        )
    return rows


def _row(name: str, samples: list[list[float]], ref_p50: float, ref_p99: float) -> dict:
    p50 = statistics.median(statistics.median(s) for s in samples)
    p99 = statistics.median(_percentile(s, 0.99) for s in samples)
    return {
        "benchmark": name,
        "rps": 1000 / p50 if p50 else 0.0,
        "p50_ms": round(p50, 1),
        "p99_ms": round(p99, 1),
        "reference": f"GET tickets/{{id}}/ p50 {ref_p50:.1f} p99 {ref_p99:.1f} ms",
        "ratio": round(p99 / ref_p99, 2) if ref_p99 else 0.0,
        "goal": "p99 < 100 ms",
        "met": p99 < 100,
    }
