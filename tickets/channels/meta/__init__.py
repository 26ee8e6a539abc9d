"""Meta's platforms in their own formats: the WhatsApp Business Cloud API (whatsapp.py),
Messenger and Instagram messaging (messenger.py). They share Meta's webhook handshake and
signature (signature.py) and the Graph API client (graph.py)."""
