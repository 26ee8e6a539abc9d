"""Knowledge-base search at 100,000 published articles (`python -m bench knowledge_search`).

Seeds (once, by COPY) a database of its own (BENCH_KB_DATABASE_URL, default `hd_bench_kb`):
BENCH_KB_ARTICLES (100,000) published public articles, 60% English, 25% Russian, 15%
Lithuanian, each a title of 3-5 words (one frequent word, the rest topic words) and a body
of 60-120 words drawn Zipf-like from ~50 frequent support words per language (the most
frequent in 60% of the bodies: harsher than a real knowledge base) and 5,000 topic words
(each in ~250 articles). Search vectors are written
with the same SQL the service uses (knowledge.search.index_translations), then the lexicon is
counted as the hourly task does (knowledge.search.lexicon_rebuild).

Then, in this process with Django set up against that database (DEBUG off), through the full
Django/DRF stack with an integration's token (the test client, no socket), 200 requests each
after a warm-up: GET /api/v1/help/search/ for frequent words (thousands of matches to rank),
rare words, two-word queries, Russian and Lithuanian inflected forms, and misspellings (the
trigram fallback); the deflection selector `suggest_articles` on a ticket-length draft; and
the reference, GET /api/v1/ping/ through the same stack (what any authenticated request
costs). Figures: p50 and p99 in ms.
"""

from __future__ import annotations

import io
import os
import random
import statistics
import time

from . import seed

DATABASE_URL = os.environ.get(
    "BENCH_KB_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/hd_bench_kb"
)
ARTICLES = int(os.environ.get("BENCH_KB_ARTICLES", "100000"))
REQUESTS = 200

COMMON = {
    "en": [
        "order",
        "delivery",
        "payment",
        "refund",
        "invoice",
        "account",
        "password",
        "shipping",
        "tracking",
        "return",
        "exchange",
        "warranty",
        "subscription",
        "card",
        "address",
        "parcel",
        "courier",
        "discount",
        "coupon",
        "store",
        "app",
        "login",
        "email",
        "phone",
        "settings",
        "privacy",
        "gift",
        "size",
        "stock",
        "price",
        "cancel",
        "change",
        "update",
        "receipt",
        "customer",
        "support",
        "plan",
        "upgrade",
        "billing",
        "charge",
        "bank",
        "transfer",
        "country",
        "tax",
        "vat",
        "days",
        "week",
        "business",
        "free",
        "express",
        "pickup",
        "point",
        "locker",
        "damaged",
        "missing",
        "wrong",
        "item",
        "product",
    ],
    "ru": [
        "заказ",
        "доставка",
        "оплата",
        "возврат",
        "счёт",
        "аккаунт",
        "пароль",
        "отправка",
        "отслеживание",
        "обмен",
        "гарантия",
        "подписка",
        "карта",
        "адрес",
        "посылка",
        "курьер",
        "скидка",
        "купон",
        "магазин",
        "приложение",
        "вход",
        "почта",
        "телефон",
        "настройки",
        "подарок",
        "размер",
        "наличие",
        "цена",
        "отмена",
        "изменение",
        "чек",
        "клиент",
        "поддержка",
        "тариф",
        "списание",
        "банк",
        "перевод",
        "страна",
        "налог",
        "дней",
        "неделя",
        "бесплатно",
        "пункт",
        "выдачи",
        "товар",
    ],
    "lt": [
        "užsakymas",
        "pristatymas",
        "mokėjimas",
        "grąžinimas",
        "sąskaita",
        "paskyra",
        "slaptažodis",
        "siuntimas",
        "sekimas",
        "keitimas",
        "garantija",
        "prenumerata",
        "kortelė",
        "adresas",
        "siunta",
        "kurjeris",
        "nuolaida",
        "kuponas",
        "parduotuvė",
        "programėlė",
        "prisijungimas",
        "paštas",
        "telefonas",
        "nustatymai",
        "dovana",
        "dydis",
        "kaina",
        "atšaukimas",
        "pakeitimas",
        "kvitas",
        "klientas",
        "pagalba",
        "planas",
        "bankas",
        "pavedimas",
        "šalis",
        "mokestis",
    ],
}
RUSSIAN_FORMS = [
    "заказа",
    "заказом",
    "доставки",
    "доставкой",
    "оплаты",
    "возврата",
    "посылки",
    "курьером",
]
LITHUANIAN_FORMS = ["užsakymo", "pristatymo", "mokėjimo", "grąžinimo", "siuntos", "kurjerio"]
SYLLABLES = [
    "ka",
    "ro",
    "mi",
    "ta",
    "le",
    "no",
    "su",
    "vi",
    "pa",
    "de",
    "lu",
    "ri",
    "ko",
    "sa",
    "ne",
    "mo",
    "ti",
    "va",
    "be",
    "zu",
]


def _rare_words(rng: random.Random, count: int = 5000) -> list[str]:
    words = set()
    while len(words) < count:
        words.add("".join(rng.choice(SYLLABLES) for _ in range(rng.randint(3, 4))))
    return sorted(words)


def _text(rng: random.Random, common: list[str], rare: list[str], words: int) -> str:
    # Zipf-like: the first common words are the most frequent
    picks = [
        common[min(int(rng.paretovariate(1.0)) - 1, len(common) - 1)]
        if rng.random() < 0.45
        else rng.choice(common)
        if rng.random() < 0.6
        else rng.choice(rare)
        for _ in range(words)
    ]
    return " ".join(picks)


def _seed() -> dict:
    from django.db import connection

    from accounts.models import Role, User
    from accounts.services import api_token_create
    from knowledge.search import index_translations, lexicon_rebuild

    integration = User.objects.filter(username="bench-kb").first() or User.objects.create(
        username="bench-kb", role=Role.INTEGRATION
    )
    _, token = api_token_create(user=integration, name="bench")
    rng = random.Random(13)
    rare = _rare_words(rng)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM knowledge_articletranslation WHERE search_vector IS NOT NULL"
        )
        if cursor.fetchone()[0] != ARTICLES:
            started = time.monotonic()
            cursor.execute(
                "TRUNCATE knowledge_articletranslation, knowledge_articleversion, "
                "knowledge_article, knowledge_searchlog CASCADE"
            )
            cursor.execute(
                "INSERT INTO knowledge_article (status, visibility, tags, created_at, "
                "updated_at, published_at, version) SELECT 'published', 'public', "
                "'[]'::jsonb, now(), now(), now(), 1 FROM generate_series(1, %s) RETURNING id",
                [ARTICLES],
            )
            ids = [row[0] for row in cursor.fetchall()]
            buffer = io.StringIO()
            for n, article_id in enumerate(ids):
                locale = "en" if n % 20 < 12 else "ru" if n % 20 < 17 else "lt"
                # a title names its topic: one frequent word and a few rarer ones
                title = " ".join(
                    [_text(rng, COMMON[locale], rare, 1)]
                    + [rng.choice(rare) for _ in range(rng.randint(2, 4))]
                ).capitalize()
                body = _text(rng, COMMON[locale], rare, rng.randint(60, 120)) + "."
                buffer.write(
                    f"{article_id}\t{locale}\t{title}\ta-{article_id}\t{body}\t"
                    f"<p>{body}</p>\t{body}\t\\N\t2026-11-01 00:00:00+00\n"
                )
            buffer.seek(0)
            raw = connection.connection  # psycopg 3
            with raw.cursor().copy(
                "COPY knowledge_articletranslation (article_id, locale, title, slug, body_md, "
                "body_html, body_text, search_vector, updated_at) FROM STDIN"
            ) as copy:
                copy.write(buffer.read())
            cursor.execute("SELECT id FROM knowledge_articletranslation")
            translation_ids = [row[0] for row in cursor.fetchall()]
            for start in range(0, len(translation_ids), 10_000):
                index_translations(translation_ids[start : start + 10_000])
            cursor.execute("VACUUM ANALYZE knowledge_articletranslation")
            rebuild_started = time.monotonic()
            terms = lexicon_rebuild()
            print(f"lexicon: {terms:,} lexemes in {time.monotonic() - rebuild_started:.1f} s")
            cursor.execute("VACUUM ANALYZE knowledge_article")
            print(f"seeded {ARTICLES:,} articles in {time.monotonic() - started:.0f} s")
    return {"token": token, "rare": rare}


def _percentile(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def _timed(call, count: int = REQUESTS) -> list[float]:
    for _ in range(10):
        call(0)
    samples = []
    for n in range(count):
        started = time.perf_counter()
        call(n)
        samples.append((time.perf_counter() - started) * 1000)
    return samples


def run(*, runs: int = 3) -> list[dict]:
    seed.ensure_database(DATABASE_URL)
    seed.setup_django(DATABASE_URL)
    from django.db import connection
    from django.test import Client
    from django.test.utils import setup_test_environment

    from knowledge.selectors import suggest_articles

    setup_test_environment()
    world = _seed()
    client = Client(headers={"Authorization": f"Token {world['token']}"})
    rng = random.Random(7)
    rare = world["rare"]
    frequent = COMMON["en"][:10]
    queries = {
        "frequent word (en)": [(w, "en") for w in frequent],
        "rare word (en)": [(rng.choice(rare), "en") for _ in range(50)],
        "two words (en)": [
            (f"{a} {b}", "en") for a, b in zip(frequent, COMMON["en"][10:20], strict=True)
        ],
        "inflected form (ru)": [(w, "ru") for w in RUSSIAN_FORMS],
        "inflected form (lt)": [(w, "lt") for w in LITHUANIAN_FORMS],
        "misspelled (en, trigram)": [
            (w[:2] + w[3:], "en") for w in ("delivery", "password", "warranty", "subscription")
        ],
    }

    def search_call(items):
        def call(n):
            q, locale = items[n % len(items)]
            response = client.get("/api/v1/help/search/", {"q": q, "locale": locale})
            assert response.status_code == 200, response.content[:200]

        return call

    def ping(n):
        assert client.get("/api/v1/ping/").status_code == 200

    draft = (
        "Hello, my order was damaged in delivery and the courier left the parcel at the wrong "
        "address. I would like a refund to my card or an exchange for the same item."
    )
    rows = []
    ping_runs = [_timed(ping) for _ in range(runs)]
    ping_p50 = statistics.median(statistics.median(s) for s in ping_runs)
    ping_p99 = statistics.median(_percentile(s, 0.99) for s in ping_runs)
    for name, items in queries.items():
        samples = [_timed(search_call(items)) for _ in range(runs)]
        p50 = statistics.median(statistics.median(s) for s in samples)
        p99 = statistics.median(_percentile(s, 0.99) for s in samples)
        rows.append(_row(f"kb search: {name}", p50, p99, ping_p50, ping_p99))
    samples = [_timed(lambda n: suggest_articles(text=draft, locale="en")) for _ in range(runs)]
    rows.append(
        _row(
            "kb suggest_articles (ticket draft, en)",
            statistics.median(statistics.median(s) for s in samples),
            statistics.median(_percentile(s, 0.99) for s in samples),
            ping_p50,
            ping_p99,
        )
    )
    with connection.cursor() as cursor:
        cursor.execute(
            "EXPLAIN (COSTS OFF) SELECT id FROM knowledge_articletranslation t WHERE "
            "t.locale = 'en' AND t.search_vector @@ websearch_to_tsquery('english', 'refund')"
        )
        plan = "\n".join(row[0] for row in cursor.fetchall())
    rows[0]["plan"] = plan
    rows[0]["gin_index"] = "article_search_vector_idx" in plan
    return rows


def _row(name: str, p50: float, p99: float, ping_p50: float, ping_p99: float) -> dict:
    return {
        "benchmark": f"{name} ({ARTICLES:,})",
        "value": p50,
        "unit": f"ms p50, p99 {p99:.1f} ms",
        "p99_ms": p99,
        "reference": f"ping p50 {ping_p50:.1f} ms, p99 {ping_p99:.1f} ms",
        "ratio": p50 / ping_p50 if ping_p50 else 0,
    }
