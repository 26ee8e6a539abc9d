"""Portal tasks: the sign-in mail leaves here, after the request committed."""

from __future__ import annotations

from celery import shared_task

from . import mail


@shared_task(
    name="portal.send_sign_in_link", bind=True, max_retries=3, soft_time_limit=45, time_limit=60
)
def send_sign_in_link(self, sign_in_id: int, browser_locale: str = "") -> None:
    """Mail one sign-in link (a link no longer usable is not sent). Transient SMTP errors
    are retried; the customer can also simply ask again."""
    try:
        mail.sign_in_mail_send(sign_in_id, browser_locale=browser_locale)
    except OSError as exc:  # smtplib errors and network failures
        raise self.retry(exc=exc, countdown=10 * 2**self.request.retries) from exc
