"""The help center in a real browser (Playwright + Debian's Chromium): Persian renders
right-to-left and a visitor votes. Screenshots go to var/screenshots/."""

from __future__ import annotations

import pytest
from playwright import sync_api

from knowledge import services
from knowledge.models import ArticleFeedback
from tests.browser import SCREENSHOTS, open_page
from tests.factories import ArticleFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


PERSIAN_BODY = """برای پیگیری سفارش خود این مراحل را انجام دهید:

1. وارد **حساب کاربری** خود شوید.
2. در بخش «سفارش‌ها» روی شماره سفارش کلیک کنید.
3. پیوند پیگیری مرسوله را باز کنید.

> اگر پس از سه روز کاری سفارش به دستتان نرسید، با ما تماس بگیرید.
"""


@pytest.fixture
def page(browser):
    with open_page(browser, width=1100, height=900, locale="fa-IR") as page:
        yield page


@pytest.fixture
def persian_help_center():
    from tickets.channels.config import channel_save
    from tickets.channels.models import Channel

    category = services.category_save(
        translations={
            "fa": {"name": "سفارش و ارسال", "description": "پیگیری، زمان ارسال و هزینه‌ها"},
            "en": {"name": "Orders and delivery"},
        }
    )
    article = ArticleFactory(
        translations={
            "fa": {"title": "چگونه سفارشم را پیگیری کنم؟", "body_md": PERSIAN_BODY},
            "en": {"title": "How do I track my order?", "body_md": "Open the tracking link."},
        },
        category=category,
    )
    ArticleFactory(
        locale="fa", title="زمان ارسال سفارش", body_md="ارسال دو روز طول می‌کشد.", category=category
    )
    channel_save(
        channel=Channel(), kind="email", name="Mail", settings={"address": "help@acme.test"}
    )
    channel_save(channel=Channel(), kind="phone", name="Line", settings={"number": "+982112345678"})
    return article


def test_persian_help_center_is_right_to_left_and_a_visitor_votes(
    page, live_server, persian_help_center
):
    page.goto(f"{live_server.url}/help/")  # the browser asks for Persian (fa-IR)
    assert page.url.endswith("/help/fa/")
    assert page.locator("html").get_attribute("dir") == "rtl"
    page.get_by_role("link", name="چگونه سفارشم را پیگیری کنم؟").first.click()

    heading = page.get_by_role("heading", level=1)
    sync_api.expect(heading).to_have_text("چگونه سفارشم را پیگیری کنم؟")
    assert page.evaluate("getComputedStyle(document.body).direction") == "rtl"
    # Mirrored: the heading starts at the right edge of the page's column.
    main = page.locator("main").bounding_box()
    box = heading.bounding_box()
    assert main["x"] + main["width"] - (box["x"] + box["width"]) < 40
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "help-fa.png"), full_page=True)

    page.get_by_label("دنبال چه بودید؟ (اختیاری)").fill("خیلی خوب بود")
    page.get_by_role("button", name="بله").click()

    sync_api.expect(page.get_by_role("status")).to_have_text("از بازخورد شما سپاسگزاریم.")
    vote = ArticleFeedback.objects.get(article=persian_help_center)
    assert (vote.helpful, vote.locale, vote.comment) == (True, "fa", "خیلی خوب بود")
    page.screenshot(path=str(SCREENSHOTS / "help-fa-voted.png"), full_page=True)
