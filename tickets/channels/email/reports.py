"""Delivery reports and other automatic mail: the per-recipient status of a DSN (RFC 3464),
the Message-IDs a bounce returns, what an automatic email is ("bounce:hard", "auto_reply",
...), and what an ignored one still changes: a hard bounce of a reply we sent marks the
requester's address undeliverable."""

from __future__ import annotations

import re
from dataclasses import dataclass
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from typing import TYPE_CHECKING

from customers.services import identity_mark_undeliverable
from outbox.models import OutboxMessage

from ..intake import Ignored
from .mime import FORWARD_TYPES, header_value

if TYPE_CHECKING:
    from .parse import ParsedEmail


@dataclass(frozen=True)
class RecipientStatus:
    recipient: str
    action: str
    status: str
    diagnostic: str = ""

    @property
    def hard(self) -> bool:
        """A permanent failure: the address will not work however often we retry."""
        return self.action == "failed" and self.status.startswith("5")

    @property
    def soft(self) -> bool:
        return self.action == "delayed" or self.status.startswith("4")


def _status_blocks(part: EmailMessage) -> list:
    payload = part.get_payload()
    if isinstance(payload, list):
        return payload
    data = part.get_payload(decode=True) or b""  # an encoded report: split its blocks
    parser = BytesParser(policy=policy.default)
    return [
        parser.parsebytes(block + b"\r\n", headersonly=True)
        for block in re.split(rb"\r?\n\r?\n", data)
        if block.strip()
    ]


def delivery_statuses(msg: EmailMessage) -> list[RecipientStatus]:
    """The per-recipient fields of every message/delivery-status part."""
    found: list[RecipientStatus] = []
    for part in msg.walk():
        if part.get_content_type() != "message/delivery-status":
            continue
        for block in _status_blocks(part):
            recipient = header_value(block, "Final-Recipient") or header_value(
                block, "Original-Recipient"
            )
            if not recipient:
                continue
            address = recipient.split(";", 1)[-1].strip().strip("<>").lower()
            status = (header_value(block, "Status").split() or [""])[0]
            found.append(
                RecipientStatus(
                    address,
                    header_value(block, "Action").lower(),
                    status,
                    re.sub(r"\s+", " ", header_value(block, "Diagnostic-Code"))[:300],
                )
            )
    return found


_RETURNED_TYPES = frozenset(
    {"text/rfc822-headers", "message/rfc822-headers", "message/global-headers", *FORWARD_TYPES}
)


def returned_message_ids(msg: EmailMessage) -> list[str]:
    """The Message-IDs of the original message a bounce returns (its headers or the whole
    message, RFC 3464 section 2), so the bounce can be matched to a message we sent."""
    found: list[str] = []
    for part in msg.walk():
        if part.get_content_type() not in _RETURNED_TYPES:
            continue
        payload = part.get_payload()
        if isinstance(payload, list) and payload:
            headers = payload[0]
        else:
            try:
                data = part.get_payload(decode=True) or b""
            except Exception:
                data = b""
            headers = BytesParser(policy=policy.default).parsebytes(data, headersonly=True)
        found.extend(re.findall(r"<([^<>\s]+)>", header_value(headers, "Message-ID")))
    return found


def classify(msg: EmailMessage, reason: str, statuses: list[RecipientStatus]) -> str:
    """What an automatic email is: "bounce:hard" (a DSN with a permanent failure, RFC 3464),
    "bounce:soft" (delayed or 4.x.x), "bounce" (any other bounce), "delivery_report",
    "read_receipt", "bulk" or "auto_reply"; "" for a person's email."""
    if not reason:
        return ""
    if any(s.hard for s in statuses):
        return "bounce:hard"
    if any(s.soft for s in statuses):
        return "bounce:soft"
    if statuses and all(s.action in ("delivered", "relayed", "expanded") for s in statuses):
        return "delivery_report"
    report_type = str(msg.get_param("report-type") or "").lower()
    if msg.get_content_type() == "multipart/report" and report_type == "disposition-notification":
        return "read_receipt"
    if "bounce" in reason or statuses:
        return "bounce"
    if reason.startswith("precedence"):
        return "bulk"
    return "auto_reply"


def _ignored_reason(parsed: ParsedEmail, note: str = "") -> str:
    failures = [
        f"{s.recipient} {s.action} {s.status}".strip()
        for s in parsed.delivery_statuses
        if s.recipient
    ]
    reason = f"{parsed.auto_reason}: {'; '.join(failures)}" if failures else parsed.auto_reason
    return f"{reason} ({note})" if note else reason


def _bounced_outbound(parsed: ParsedEmail) -> OutboxMessage | None:
    """The reply of ours that a bounce returns, found by the Message-ID in its returned
    headers; None for a bounce of mail we did not send (or a forged one)."""
    if not parsed.returned_message_ids:
        return None
    return (
        OutboxMessage.objects.select_related("message__ticket")
        .filter(
            transport="email",
            message__isnull=False,
            provider_id__in=parsed.returned_message_ids,
        )
        .order_by("-id")
        .first()
    )


def ignore_automatic(parsed: ParsedEmail) -> Ignored:
    """Ignored for an automatic email. A hard bounce of a reply we sent also marks each
    permanently failed recipient undeliverable, if it is an address of that ticket's
    requester: a bounce that returns no message of ours, or names someone else, marks
    nothing (anyone can send a delivery report)."""
    if parsed.auto_class != "bounce:hard":
        return Ignored(_ignored_reason(parsed), classification=parsed.auto_class)
    outbound = _bounced_outbound(parsed)
    if outbound is None:
        note = "returns no message we sent: nothing marked"
        return Ignored(_ignored_reason(parsed, note), classification=parsed.auto_class)
    requester_id = outbound.message.ticket.requester_id
    failed = [s for s in parsed.delivery_statuses if s.hard]

    def mark() -> None:
        for status in failed:
            reason = f"Hard bounce {status.status}"
            if status.diagnostic:
                reason += f": {status.diagnostic}"
            identity_mark_undeliverable(
                address=status.recipient, reason=reason, customer_id=requester_id
            )

    note = f"bounce of {outbound.provider_id}"
    return Ignored(_ignored_reason(parsed, note), classification=parsed.auto_class, effect=mark)
