"""Organizations, customers and the identities (email, phone, social handle) that find them."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import QuerySet

# The SLA policy versions an organization or a customer may be put on: the current version of
# each lineage (older versions are history that running clocks keep). The same rule as
# slas.config.current_policies; spelled here as the foreign keys' `limit_choices_to`, so the
# admin's dropdowns, the API's choices and the services read it without customers importing slas
# (customers sit below tickets and slas).
CURRENT_POLICY = models.Q(is_current=True)


class Organization(models.Model):
    name = models.CharField(max_length=200, unique=True)
    tier = models.ForeignKey(
        "slas.SlaTier",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="organizations",
    )
    # An individual agreement: measures the organization's tickets instead of the tier's policy.
    sla_policy = models.ForeignKey(
        "slas.SlaPolicy",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        limit_choices_to=CURRENT_POLICY,
    )
    notes = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def domain_names(self) -> list[str]:
        return [d.domain for d in self.domains.all()]


class OrganizationDomain(models.Model):
    """An email domain whose senders belong to the organization (unique across organizations)."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="domains")
    domain = models.CharField(max_length=253, unique=True)

    def __str__(self) -> str:
        return self.domain


class Locale(models.TextChoices):
    """The languages we answer customers in (settings.LANGUAGES has the same codes)."""

    EN = "en", "English"
    RU = "ru", "Русский"
    LV = "lv", "Latviešu"
    LT = "lt", "Lietuvių"
    FA = "fa", "فارسی"


class Customer(models.Model):
    name = models.CharField(max_length=200, blank=True)
    organization = models.ForeignKey(
        Organization, null=True, blank=True, on_delete=models.SET_NULL, related_name="customers"
    )
    # The language automatic answers, surveys and the portal speak to this customer; blank
    # until known (set by the API, or guessed once from an email or the portal's browser).
    locale = models.CharField(max_length=8, choices=Locale.choices, blank=True, default="")
    # The organization's contact person sees all of the organization's tickets in the portal.
    is_organization_contact = models.BooleanField(default=False)
    # A customer's own tier and policy win over the organization's (both optional).
    tier = models.ForeignKey(
        "slas.SlaTier", null=True, blank=True, on_delete=models.SET_NULL, related_name="customers"
    )
    sla_policy = models.ForeignKey(
        "slas.SlaPolicy",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        limit_choices_to=CURRENT_POLICY,
    )
    # The integration that first submitted this customer; integrations read only their own.
    source_integration = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True, db_index=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(
                fields=["source_integration", "-created_at"], name="customer_integration_idx"
            )
        ]

    def __str__(self) -> str:
        return self.name or f"Customer #{self.pk}"

    @property
    def primary_email(self) -> str:
        """The first email identity; reads the prefetched identities when there are some."""
        emails = [i.value for i in self.identities.all() if i.kind == IdentityKind.EMAIL]
        return emails[0] if emails else ""

    @property
    def deliverable_email(self) -> str:
        """The first email identity that has not hard-bounced, or ""."""
        emails = [
            i.value
            for i in self.identities.all()
            if i.kind == IdentityKind.EMAIL and i.undeliverable_at is None
        ]
        return emails[0] if emails else ""


class IdentityKind(models.TextChoices):
    EMAIL = "email", "Email address"
    PHONE = "phone", "Phone number"
    SOCIAL = "social", "Social handle"


class CustomerIdentity(models.Model):
    """One way to reach a customer. Values are stored normalized (see identities.py), so the
    unique constraint catches "Alice@Example.com" and "alice@example.com" as the same person."""

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="identities")
    kind = models.CharField(max_length=10, choices=IdentityKind.choices)
    platform = models.CharField(max_length=30, blank=True, help_text="For social handles.")
    value = models.CharField(max_length=254)
    # The integrations that told us this identity: each reads only the identities it submitted.
    submitted_by = models.ManyToManyField(
        settings.AUTH_USER_MODEL, through="IdentitySubmission", blank=True, related_name="+"
    )
    # Set by a hard bounce (a DSN with Action: failed, Status 5.x.x) for this email address;
    # replies are not mailed to it. Cleared when the address writes to us again.
    undeliverable_at = models.DateTimeField(null=True, blank=True)
    undeliverable_reason = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "platform", "value"], name="identity_unique_per_kind"
            ),
        ]
        verbose_name_plural = "customer identities"

    def __str__(self) -> str:
        return f"{self.platform}:{self.value}" if self.platform else self.value


class IdentitySubmission(models.Model):
    """An integration submitted this identity (a ticket, a delivery, a customer, an inbound
    payload naming it). The same identity may be submitted by several integrations; each sees
    the customer only through the identities it submitted itself."""

    identity = models.ForeignKey(
        CustomerIdentity, on_delete=models.CASCADE, related_name="submissions"
    )
    integration = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["identity", "integration"], name="identity_submission_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.identity} by {self.integration_id}"


def sla_tier_choices() -> QuerySet:
    """Every SLA tier (what an organization's or a customer's `tier` may name)."""
    return Customer._meta.get_field("tier").related_model._default_manager.all()


def sla_policy_choices() -> QuerySet:
    """The policy versions an organization's or a customer's `sla_policy` may name."""
    field = Customer._meta.get_field("sla_policy")
    return field.related_model._default_manager.complex_filter(field.get_limit_choices_to())
