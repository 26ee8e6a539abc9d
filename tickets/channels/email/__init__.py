"""The email channel: raw RFC 822 mail from the API door, IMAP (imap.py) and the providers'
webhooks (anymail.py), parsed (parse.py, with mime.py, text.py, repair.py, reports.py),
matched to its ticket (ticket_match.py), declared to the registry in adapter.py."""
