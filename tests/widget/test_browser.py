"""The chat widget end to end, in Chromium: a shop's page on another origin embeds
/chat/widget.js; our app runs under uvicorn (config.asgi: HTTP and the sockets) with a real
Celery worker sending the outbox, both on a Redis of the test's own. The visitor writes, an
agent answers on the desk's ticket page (a second browser context), the visitor sees the
answer without reloading in under a second from the agent's submit, and sees the agent typing.
Screenshots (closed, open, conversation, Persian, the desk) go to var/screenshots/."""

from __future__ import annotations

import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client

from automations.models import AgentAvailability
from outbox.models import OutboxMessage, State
from tests.browser import open_page, shoot
from tests.faults.processes import (
    RedisServer,
    free_port,
    service_env,
    spawn,
    status_of,
    stop,
    wait_until,
)
from tickets.models import Ticket

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True)]

SHOP_PAGE = """<!doctype html><html lang="{lang}"><head><meta charset="utf-8">
<title>Blue Kettle Shop</title><style>body{{font:16px system-ui;margin:0;background:#faf7f2}}
header{{background:#2d2a26;color:#fff;padding:1rem 2rem}}main{{padding:2rem}}</style></head>
<body><header><strong>Blue Kettle Shop</strong></header><main><h1>Kettles</h1>
<p>Our kettles boil water. Questions? Use the chat.</p></main>
<script src="{app}/chat/widget.js" data-channel="{channel}" async></script></body></html>"""


WATCH_SUBMIT = """document.getElementById('reply-form').addEventListener('submit',
  () => sessionStorage.setItem('submittedAt',
    String(performance.timeOrigin + performance.now())))"""
WATCH_REPLY = """new MutationObserver((changes, observer) => {
  if (document.getElementById('chat-messages').textContent.includes('parts and labour')) {
    window.__replySeenAt = performance.timeOrigin + performance.now(); observer.disconnect();
  }
}).observe(document.getElementById('chat-messages'), {childList: true, subtree: true})"""


class Shop:
    """The merchant's site: one page with our script tag, on an origin of its own."""

    def __init__(self, app: str, channel: int) -> None:
        shop = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                lang = "fa" if "fa" in self.path else "en"
                body = SHOP_PAGE.format(lang=lang, app=app, channel=channel).encode()
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        shop.server = self.server

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def stack(tmp_path, widget_channel, online):
    """uvicorn (the ASGI app) and a Celery worker on the test database and a fresh Redis."""
    redis = RedisServer().start()
    env = service_env(
        SECRET_KEY=settings.SECRET_KEY,  # the agent's session is signed here
        DEBUG="1",  # static files from the apps' folders (no collectstatic in a test)
        CELERY_BROKER_URL=f"{redis.url}/0",
        REDIS_URL=f"{redis.url}/1",
        LIVE_REDIS_URL=f"{redis.url}/2",
        MEDIA_ROOT=str(tmp_path / "media"),
    )
    port = free_port()
    app = f"http://127.0.0.1:{port}"
    web = spawn(
        [sys.executable, "-m", "uvicorn", "config.asgi:application", "--host", "127.0.0.1",
         "--port", str(port), "--log-level", "warning"],
        env, tmp_path / "uvicorn.log",
    )  # fmt: skip
    worker_log = tmp_path / "worker.log"
    worker = spawn(
        [sys.executable, "-m", "celery", "-A", "config", "worker", "-P", "solo", "-l", "info",
         "--without-gossip", "--without-mingle", "--without-heartbeat",
         "-Q", "sweeps,intake,outbound,default"],
        env, worker_log,
    )  # fmt: skip
    try:
        wait_until(lambda: status_of(f"{app}/healthz") == 200, timeout=60)
        wait_until(lambda: worker_log.exists() and " ready." in worker_log.read_text(), 60)
        shop = Shop(app, widget_channel.pk)
        yield app, shop
        shop.stop()
    finally:
        stop(web)
        stop(worker)
        redis.stop()
        print((tmp_path / "uvicorn.log").read_text()[-3000:])


def _sign_in(page, app: str, agent) -> None:
    """The agent's session, made here and handed to the browser (the servers share the
    database; the test's fast password hasher is not one the servers accept)."""
    client = Client()
    client.force_login(agent)
    cookie = client.cookies[settings.SESSION_COOKIE_NAME].value
    page.context.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "value": cookie, "url": app}])


def test_visitor_and_agent_chat_live(browser, stack, agent):
    app, shop = stack
    with (
        open_page(browser, width=1200, height=800) as shop_page,
        open_page(browser, width=1280, height=900) as desk,
    ):
        shop_page.goto(shop.url)
        launcher = shop_page.locator("#hd-chat-launcher")
        frame = shop_page.frame_locator("#hd-chat-frame")
        # The frame posts "ready" with the channel's colour and label.
        shop_page.wait_for_function(
            "document.getElementById('hd-chat-launcher').getAttribute('aria-label') !== 'Chat'"
        )
        assert launcher.get_attribute("aria-expanded") == "false"
        shoot(shop_page, "widget-closed.png")

        launcher.press("Enter")  # keyboard: the launcher is a button
        assert launcher.get_attribute("aria-expanded") == "true"
        frame.locator("#chat-status.online").wait_for()
        assert "Hi! Ask us anything." in frame.locator("#chat-greeting").inner_text()
        shoot(shop_page, "widget-open.png")

        box = frame.get_by_label("Message")
        box.fill("Does the blue kettle come with a 2 year warranty?")
        box.press("Enter")
        frame.locator(".msg.visitor").wait_for()
        ticket = wait_until(lambda: Ticket.objects.filter(channel="chat").first(), timeout=10)

        _sign_in(desk, app, agent)
        desk.goto(f"{app}/desk/tickets/{ticket.pk}/")
        assert "Does the blue kettle" in desk.locator(".conversation, main").first.inner_text()
        reply = desk.get_by_label("Message (shortcut: r)")
        reply.press_sequentially("Yes, two years", delay=20)  # typing.js tells the visitor
        frame.locator("#chat-typing").wait_for(state="visible", timeout=5000)
        shoot(shop_page, "widget-agent-typing.png")

        reply.press_sequentially(", parts and labour.")
        # Both clocks are the browser's: the agent's form submit, the frame's DOM change.
        desk.evaluate(WATCH_SUBMIT)
        shop_page.locator("#hd-chat-frame").element_handle().content_frame().evaluate(WATCH_REPLY)
        desk.get_by_role("button", name="Send", exact=True).click()
        frame.get_by_text("Yes, two years, parts and labour.").wait_for(timeout=5000)
        seen_at = (
            shop_page.locator("#hd-chat-frame")
            .element_handle()
            .content_frame()
            .evaluate("window.__replySeenAt")
        )
        desk.wait_for_url(f"{app}/desk/tickets/{ticket.pk}/")
        submitted_at = float(desk.evaluate("sessionStorage.getItem('submittedAt')"))
        elapsed = (seen_at - submitted_at) / 1000
        print(f"agent submit -> visitor's screen: {elapsed * 1000:.0f} ms")
        assert 0 < elapsed < 1.0, elapsed
        row = OutboxMessage.objects.get(message__ticket=ticket, transport="chat")
        assert row.state == State.SENT
        assert row.provider_id.startswith("socket:")
        print(f"reply row written -> sent by the worker: {row.sent_at - row.created_at}")
        assert frame.locator("#chat-typing").is_hidden()
        shoot(shop_page, "widget-conversation.png")
        desk.wait_for_load_state()
        shoot(desk, "widget-desk-ticket.png")

        # The conversation survives a page load (the token is in the frame's storage).
        shop_page.reload()
        shop_page.locator("#hd-chat-launcher").click()
        frame.get_by_text("Yes, two years, parts and labour.").wait_for()
        assert frame.locator(".msg").count() == 2

        # A file from the agent: a link in the chat that downloads it (widget/files.py).
        desk.goto(f"{app}/desk/tickets/{ticket.pk}/")
        desk.get_by_label("Message (shortcut: r)").fill("The warranty card is attached.")
        desk.get_by_label("Attachments").set_input_files(
            files=[{"name": "warranty.pdf", "mimeType": "application/pdf", "buffer": PDF}]
        )
        desk.get_by_role("button", name="Send", exact=True).click()
        link = frame.locator("a.file", has_text="warranty.pdf")
        link.wait_for(timeout=5000)
        with shop_page.expect_download() as download:
            link.click()
        assert Path(download.value.path()).read_bytes() == PDF
        shoot(shop_page, "widget-agent-file.png")

        # Escape closes the chat and gives the focus back to the launcher.
        frame.get_by_label("Message").press("Escape")
        shop_page.wait_for_function(
            "document.getElementById('hd-chat-launcher').getAttribute('aria-expanded') === 'false'"
        )
        assert shop_page.evaluate("document.activeElement.id") == "hd-chat-launcher"
        assert shop_page.locator("#hd-chat-frame").is_hidden()


def test_persian_widget_is_right_to_left(browser, stack):
    _, shop = stack
    AgentAvailability.objects.update(available=False)  # nobody online: offline note shows
    with open_page(browser, width=900, height=760, locale="fa-IR") as page:
        page.goto(f"{shop.url}/fa")
        page.locator("#hd-chat-launcher").click()
        frame = page.frame_locator("#hd-chat-frame")
        frame.locator("#chat-prechat").wait_for()
        assert frame.locator("html").get_attribute("dir") == "rtl"
        assert frame.locator("#prechat-email").is_visible()  # offline: the email is asked
        assert frame.locator("#chat-composer").is_hidden()
        assert frame.get_by_role("button", name="شروع گفتگو").is_visible()
        shoot(page, "widget-persian.png")
