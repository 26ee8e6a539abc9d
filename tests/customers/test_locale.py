# ruff: noqa: RUF001 - Russian, Latvian, Lithuanian and Persian text is the point here
"""Customer language: set by the API, guessed once from an email's Content-Language or the
portal's browser language, and spoken by the automatic answers, surveys and follow-ups."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.core import mail
from django.utils import timezone

from customers.locales import locale_from_header
from customers.models import Customer
from customers.services import customer_locale_guess
from outbox.tasks import sweep as outbox_sweep
from success import services as followup_services
from success.models import Survey
from success.surveys import survey_token
from success.tasks import followup_sweep
from tests.conftest import assert_error
from tests.factories import (
    CalendarFactory,
    CustomerFactory,
    FollowUpRuleFactory,
    IntegrationFactory,
    OrganizationFactory,
    PolicyFactory,
    TierFactory,
)
from tests.portal.conftest import link_token_from
from tests.tickets.channels.conftest import deliver, make_channel
from tickets import services as ticket_services
from tickets.models import ChannelKind

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("header", "locale"),
    [
        ("ru", "ru"),
        ("ru-RU", "ru"),
        ("lv-LV, en-US", "lv"),
        ("en-US", "en"),
        ("fa-IR,fa;q=0.9,en-US;q=0.8,en;q=0.7", "fa"),  # Chrome in Persian
        ("de-DE,de;q=0.9,lt;q=0.8,en;q=0.5", "lt"),  # first language of ours by preference
        ("en;q=0.4, ru;q=0.9", "ru"),
        ("LT_lt", "lt"),
        ("de-CH", ""),
        ("*", ""),
        ("ru;q=0", ""),
        ("", ""),
        (None, ""),
        ("ru;q=abc, lv", "lv"),
    ],
)
def test_locale_from_header(header, locale):
    assert locale_from_header(header) == locale


OUTLOOK_RU = (
    b"Received: from EX01.corp.example.ru (10.0.0.5) by EX02.corp.example.ru\r\n"
    b"From: =?utf-8?B?0JjQstCw0L0g0J/QtdGC0YDQvtCy?= <ivan.petrov@corp.example.ru>\r\n"
    b"To: Acme Support <support@acme.test>\r\n"
    b"Subject: =?utf-8?B?0J3QtSDRgNCw0LHQvtGC0LDQtdGCINCy0YXQvtC0?=\r\n"
    b"Date: Tue, 1 Dec 2026 09:12:44 +0300\r\n"
    b"Message-ID: <AM0PR07MB1234ABCD@AM0PR07MB1234.eurprd07.prod.outlook.com>\r\n"
    b"Accept-Language: ru-RU, en-US\r\n"
    b"Content-Language: ru-RU\r\n"
    b"X-MS-Has-Attach: \r\n"
    b"MIME-Version: 1.0\r\n"
    b"Content-Type: text/plain; charset=utf-8\r\n"
    b"Content-Transfer-Encoding: 8bit\r\n\r\n"
    + "Здравствуйте! Не могу войти в личный кабинет.\r\n".encode()
)


def _mail(sender: str, message_id: str, headers: str = "") -> bytes:
    return (
        f"From: {sender}\r\nTo: support@acme.test\r\nSubject: Hello\r\n"
        f"Message-ID: <{message_id}>\r\n{headers}"
        "Content-Type: text/plain; charset=utf-8\r\n\r\nHi there\r\n"
    ).encode()


def test_outlook_content_language_sets_a_new_customers_locale(
    team, django_capture_on_commit_callbacks
):
    channel = make_channel("email", "Support", address="support@acme.test")

    row = deliver(channel, OUTLOOK_RU, django_capture_on_commit_callbacks)

    assert row.state == "processed", row.error
    assert row.ticket.requester.locale == "ru"
    assert row.ticket.requester.name == "Иван Петров"


def test_exchange_accept_language_is_the_fallback(team, django_capture_on_commit_callbacks):
    channel = make_channel("email", "Support", address="support@acme.test")
    raw = _mail("Ona <ona@example.lt>", "a1@example.lt", "Accept-Language: lt-LT\r\n")

    row = deliver(channel, raw, django_capture_on_commit_callbacks)

    assert row.ticket.requester.locale == "lt"


def test_content_language_never_overwrites_a_known_locale(team, django_capture_on_commit_callbacks):
    channel = make_channel("email", "Support", address="support@acme.test")
    customer = CustomerFactory(email="ivan.petrov@corp.example.ru")
    Customer.objects.filter(pk=customer.pk).update(locale="lv")

    row = deliver(channel, OUTLOOK_RU, django_capture_on_commit_callbacks)

    assert row.ticket.requester == customer
    customer.refresh_from_db()
    assert customer.locale == "lv"


def test_an_unsupported_or_missing_language_leaves_the_locale_unknown(
    team, django_capture_on_commit_callbacks
):
    channel = make_channel("email", "Support", address="support@acme.test")
    german = _mail("hans@example.de", "d1@example.de", "Content-Language: de-DE\r\n")
    plain = _mail("pat@example.com", "p1@example.com")

    rows = [deliver(channel, raw, django_capture_on_commit_callbacks) for raw in (german, plain)]

    assert [row.ticket.requester.locale for row in rows] == ["", ""]


def test_guess_is_one_conditional_update(db):
    customer = CustomerFactory()
    stale = Customer.objects.get(pk=customer.pk)
    customer_locale_guess(customer=customer, header="fa-IR")

    customer_locale_guess(customer=stale, header="ru")  # a copy read before the first guess

    customer.refresh_from_db()
    assert (customer.locale, stale.locale) == ("fa", "fa")


def test_api_sets_and_shows_the_locale(agent_client, integration_client):
    created = integration_client.post(
        "/api/v1/customers/",
        {"identities": [{"kind": "email", "value": "aija@example.lv"}], "locale": "lv"},
        format="json",
    )
    customer_id = created.json()["id"]
    changed = agent_client.patch(
        f"/api/v1/customers/{customer_id}/",
        {"locale": "ru", "is_organization_contact": True},
        format="json",
    )

    assert created.status_code == 201, created.content
    assert created.json()["locale"] == "lv"
    assert changed.status_code == 200, changed.content
    assert (changed.json()["locale"], changed.json()["is_organization_contact"]) == ("ru", True)


def test_api_refuses_an_unknown_locale_and_changes_nothing(agent_client):
    customer = CustomerFactory(name="Kim")

    response = agent_client.patch(
        f"/api/v1/customers/{customer.pk}/", {"locale": "de", "name": "Renamed"}, format="json"
    )

    assert_error(response, 400, field="locale")
    customer.refresh_from_db()
    assert (customer.locale, customer.name) == ("", "Kim")


def test_integrations_cannot_make_a_customer_an_organization_contact(integration_client):
    shop = IntegrationFactory(username="othershop")
    customer = CustomerFactory(source_integration=shop)

    response = integration_client.patch(
        f"/api/v1/customers/{customer.pk}/", {"is_organization_contact": True}, format="json"
    )

    assert_error(response, 403)
    customer.refresh_from_db()
    assert customer.is_organization_contact is False


@pytest.fixture
def email_only_tier(db):
    policy = PolicyFactory(calendar=CalendarFactory())
    return TierFactory(
        name="Basic",
        policy=policy,
        channels=["email", "phone"],
        self_service=True,
        self_service_url="https://help.acme.example",
    )


def _outside_plan_answer(customer, team):
    ticket = ticket_services.ticket_create(
        requester=customer,
        subject="Где мой заказ?",
        body="Привет",
        channel=ChannelKind.CHAT,
        team=team,
    )
    return ticket.messages.get(author_user__isnull=True, direction="outbound").body_text


def test_outside_plan_answer_in_russian_for_a_russian_customer(email_only_tier, team):
    customer = CustomerFactory(organization=OrganizationFactory(tier=email_only_tier))
    Customer.objects.filter(pk=customer.pk).update(locale="ru")
    customer.refresh_from_db()

    text = _outside_plan_answer(customer, team)

    assert text == (
        "Спасибо за ваше сообщение: мы его получили и обязательно ответим. Ваш план «Basic» "
        "включает поддержку по каналам: электронная почта, телефон. В следующий раз, "
        "пожалуйста, используйте один из них — так мы ответим быстрее всего. Ответы на многие "
        "вопросы можно сразу найти в нашем справочном центре: https://help.acme.example."
    )


def test_outside_plan_answer_in_persian_and_default_english(email_only_tier, team):
    organization = OrganizationFactory(tier=email_only_tier)
    persian = CustomerFactory(organization=organization)
    Customer.objects.filter(pk=persian.pk).update(locale="fa")
    persian.refresh_from_db()
    unknown = CustomerFactory(organization=organization)

    texts = [_outside_plan_answer(c, team) for c in (persian, unknown)]

    assert texts[0].startswith("از پیام شما سپاسگزاریم")
    assert "ایمیل، تلفن" in texts[0]  # the Persian list separator
    assert texts[1].startswith("Thank you for your message")
    assert "support by Email, Phone; please use one of these" in texts[1]


def _survey_for(locale: str, team) -> Survey:
    customer = CustomerFactory()
    Customer.objects.filter(pk=customer.pk).update(locale=locale)
    ticket = ticket_services.ticket_create(
        requester=customer, subject="Lamp broken", body="x", team=team
    )
    now = timezone.now()
    return Survey.objects.create(
        ticket=ticket, customer=customer, sent_at=now, expires_at=now + timedelta(days=30)
    )


def test_survey_page_in_persian_is_right_to_left(client, team):
    survey = _survey_for("fa", team)

    page = client.get(f"/surveys/{survey_token(survey)}/").content.decode()

    assert '<html lang="fa" dir="rtl">' in page
    assert "چقدر از کمکی که دریافت کردید راضی هستید؟" in page
    assert "«Lamp broken»" in page


def test_survey_page_in_latvian_is_left_to_right(client, team):
    survey = _survey_for("lv", team)

    page = client.get(f"/surveys/{survey_token(survey)}/").content.decode()

    assert '<html lang="lv" dir="ltr">' in page
    assert "Kā mums veicās?" in page


def test_follow_up_email_template_is_rendered_in_the_customers_language(db):
    shop = IntegrationFactory(username="shop")
    customer = CustomerFactory(name="Ona", email="ona@example.lt", source_integration=shop)
    Customer.objects.filter(pk=customer.pk).update(locale="lt")
    customer.refresh_from_db()
    FollowUpRuleFactory(
        delay_minutes=0, subject="{% translate 'Thank you' %}", body="{% translate 'Thank you!' %}"
    )
    start = timezone.now()
    followup_services.delivery_record(
        customer=customer, source=shop, external_ref="ORD-7", delivered_at=start
    )

    with time_machine.travel(start + timedelta(minutes=1)):
        followup_sweep()
        outbox_sweep()  # the email leaves through the outbox

    [sent] = mail.outbox
    assert (sent.subject, sent.body) == ("Ačiū", "Ačiū!")


def test_portal_sign_in_sets_an_unknown_locale_from_the_browser(
    client, django_capture_on_commit_callbacks
):
    customer = CustomerFactory(name="Aija", email="aija@example.lv")
    headers = {"HTTP_ACCEPT_LANGUAGE": "lv-LV,lv;q=0.9,en;q=0.5"}
    with django_capture_on_commit_callbacks(execute=True):
        asked = client.post("/portal/sign-in/", {"email": "aija@example.lv"}, **headers)
    [sent] = mail.outbox

    signed_in = client.post(f"/portal/sign-in/{link_token_from(sent.body)}/", **headers)

    assert "Pārbaudiet savu e-pastu" in asked.content.decode()
    assert '<html lang="lv" dir="ltr">' in asked.content.decode()
    assert asked["Content-Language"] == "lv"
    assert sent.subject == "Jūsu pieteikšanās saite atbalsta portālā"
    assert signed_in.status_code == 302
    customer.refresh_from_db()
    assert customer.locale == "lv"
    home = client.get("/portal/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Mani pieteikumi" in home  # the customer's language wins over the browser's now
