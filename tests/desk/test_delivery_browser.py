"""A failed delivery in the desk, in a real browser: the form says where a reply will go
before it is sent, the failed reply is marked with its error, and Retry sends it again."""

from __future__ import annotations

import smtplib

import pytest

from outbox.models import OutboxMessage, State
from tests.browser import open_page, shoot

from .test_browser import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


class RefusingBackend:
    """A mail server that refuses the recipient for good (550 5.1.1)."""

    def __init__(self, *args, **kwargs):
        pass

    def send_messages(self, messages):
        raise smtplib.SMTPRecipientsRefused(
            {m.to[0]: (550, b"5.1.1 User unknown") for m in messages}
        )


def test_failed_delivery_is_marked_with_its_error_and_retried_from_the_desk(
    browser, live_server, agent, make_ticket, settings
):
    from tests.factories import CustomerFactory

    kim = CustomerFactory(name="Kim Lee", email="kim@example.com")
    ticket = make_ticket("Refund for order 1042", requester=kim)
    settings.EMAIL_BACKEND = "tests.desk.test_delivery_browser.RefusingBackend"
    with open_page(browser, width=1280, height=900) as page:
        sign_in(page, live_server, "alice")
        page.goto(f"{live_server.url}/desk/tickets/{ticket.pk}/")
        route = page.locator("#reply-route")
        assert "Sends by email to kim@example.com" in route.inner_text()

        page.get_by_label("Message").fill("Your refund is on its way.")
        page.get_by_role("button", name="Send").click()
        page.wait_for_selector(".delivery-failed")
        failed = page.locator(".delivery-failed")
        assert "Not delivered" in failed.inner_text()
        assert "User unknown" in failed.inner_text()
        row = OutboxMessage.objects.get(purpose="reply")
        assert (row.state, row.attempts) == (State.FAILED, 1)
        shoot(page, "desk-delivery-failed.png")

        settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"  # fixed
        failed.get_by_role("button", name="Retry").click()
        page.wait_for_selector(".delivery-sent")
        assert "to kim@example.com by email" in page.locator(".delivery-sent").inner_text()
        assert page.locator(".delivery-failed").count() == 0
        shoot(page, "desk-delivery-retried.png")
    row.refresh_from_db()
    assert row.state == State.SENT
    assert ticket.events.filter(kind="delivery_retried").count() == 1
