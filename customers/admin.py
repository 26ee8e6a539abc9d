"""Organizations and customers in the admin, saved by customers.services like the API's
(organization_create/update, customer_create/update): domains unique across organizations,
identities normalized, override policies current versions, and a changed tier or override
re-measures the open tickets (organization.updated / customer.updated)."""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.db import transaction

from core.admin_forms import ReadOnlyAdmin, ReadOnlyInline, ServiceAdmin, ServiceForm

from . import organizations, services
from .models import Customer, CustomerIdentity, IdentityKind, Organization, OrganizationDomain


class OrganizationForm(ServiceForm):
    domains = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        help_text="Email domains whose senders belong to this organization, one per line.",
    )

    class Meta:
        model = Organization
        fields = ["name", "domains", "tier", "sla_policy", "notes"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.original.pk:
            self.fields["domains"].initial = "\n".join(self.original.domain_names)

    def clean_domains(self) -> list[str]:
        return self.cleaned_data["domains"].replace(",", "\n").split()

    def save_through_service(self) -> Organization:
        data = self.cleaned_data
        fields = {k: data[k] for k in ("name", "domains", "tier", "sla_policy", "notes")}
        if self.original.pk is None:
            return organizations.organization_create(**fields)
        return organizations.organization_update(organization=self.original, **fields)


@admin.register(Organization)
class OrganizationAdmin(ServiceAdmin):
    form = OrganizationForm
    list_display = ["name", "tier", "created_at"]
    list_filter = ["tier"]
    search_fields = ["name", "domains__domain"]


class CustomerIdentityInline(ReadOnlyInline, admin.TabularInline):
    model = CustomerIdentity
    fields = ["kind", "platform", "value", "created_at"]
    readonly_fields = fields


class CustomerForm(ServiceForm):
    add_identity_kind = forms.ChoiceField(
        choices=[("", "---------"), *IdentityKind.choices], required=False
    )
    add_identity_value = forms.CharField(
        max_length=254, required=False, help_text="Normalized and checked like the API's."
    )
    add_identity_platform = forms.CharField(
        max_length=30, required=False, help_text="For social handles."
    )

    class Meta:
        model = Customer
        fields = ["name", "organization", "locale", "is_organization_contact", "tier", "sla_policy"]

    def clean(self):
        data = super().clean()
        if bool(data.get("add_identity_kind")) != bool(data.get("add_identity_value")):
            self.add_error("add_identity_value", "Give both the kind and the value.")
        return data

    def _identities(self) -> list[services.IdentityInput]:
        data = self.cleaned_data
        if not data.get("add_identity_kind"):
            return []
        return [
            services.IdentityInput(
                data["add_identity_kind"],
                data["add_identity_value"],
                data.get("add_identity_platform", ""),
            )
        ]

    def save_through_service(self) -> Customer:
        data = self.cleaned_data
        sla = {
            "tier": data["tier"],
            "sla_policy": data["sla_policy"],
            "locale": data["locale"],
            "is_organization_contact": data["is_organization_contact"],
        }
        if self.original.pk is not None:
            return services.customer_update(
                customer=self.original,
                name=data["name"],
                organization=data["organization"],
                add_identities=self._identities(),
                **sla,
            )
        with transaction.atomic():  # create, then the SLA fields: both or nothing
            customer = services.customer_create(
                name=data["name"],
                organization=data["organization"],  # none: placed by an email's domain
                identities=self._identities(),
            )
            return services.customer_update(customer=customer, **sla)


@admin.register(Customer)
class CustomerAdmin(ServiceAdmin):
    form = CustomerForm
    list_display = ["__str__", "organization", "tier", "locale", "created_at"]
    list_select_related = ["organization", "tier"]
    search_fields = ["name", "identities__value"]
    list_filter = ["organization", "locale", "is_organization_contact"]
    raw_id_fields = ["organization"]
    readonly_fields = ["source_integration", "created_at", "updated_at"]
    inlines = [CustomerIdentityInline]


@admin.register(CustomerIdentity)
class CustomerIdentityAdmin(ReadOnlyAdmin):
    """Identities are added through the customer (normalized, unique); merging customers is
    the API's `POST customers/{id}/merge/`."""

    list_display = ["value", "kind", "platform", "customer"]
    list_filter = ["kind", "platform"]
    search_fields = ["value"]


@admin.register(OrganizationDomain)
class OrganizationDomainAdmin(ReadOnlyAdmin):
    """Domains are edited on their organization (unique across organizations)."""

    list_display = ["domain", "organization"]
    search_fields = ["domain"]
