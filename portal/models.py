"""Sign-in links to the customer portal, and the portal sessions they open."""

from __future__ import annotations

from django.db import models


class PortalSignIn(models.Model):
    """One sign-in link sent to one of a customer's email addresses, and the session it opens.

    The link is the signed id of this row: it works once (`used_at`), until `expires_at`; the
    portal cookie then carries the same signed id, valid until `ended_at` (signed out) or
    settings.PORTAL_SESSION_HOURS after `used_at`. Nothing here is a Django user or session.
    """

    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.CASCADE, related_name="portal_sign_ins"
    )
    email = models.EmailField(max_length=254)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"sign-in {self.pk} for {self.email}"
