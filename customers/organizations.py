"""Organizations: creating and changing them with their email domains, finding one by an email
address, and the rule that an override policy is a current version (customers use it too)."""

from __future__ import annotations

from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.db import transaction

from core import events
from core.unset import UNSET, Unset

from . import identities as ids
from .models import Organization, OrganizationDomain, sla_policy_choices


def organization_for_email(email: str) -> Organization | None:
    domain = (
        OrganizationDomain.objects.select_related("organization")
        .filter(domain=ids.email_domain(email))
        .first()
    )
    return domain.organization if domain else None


def policy_check_current(policy, unchanged_id: int | None) -> None:
    """An override must be a current policy version (keeping the one already set is fine)."""
    if policy is None or policy.pk == unchanged_id:
        return
    if not sla_policy_choices().filter(pk=policy.pk).exists():
        raise ValidationError({"sla_policy": [f"{policy} is an old version; use the current one."]})


@transaction.atomic
def organization_create(
    *, name: str, domains: Iterable[str] = (), tier=None, sla_policy=None, notes: str = ""
) -> Organization:
    policy_check_current(sla_policy, None)
    organization = Organization.objects.create(
        name=name, tier=tier, sla_policy=sla_policy, notes=notes
    )
    _set_domains(organization, domains)
    return organization


@transaction.atomic
def organization_update(
    *,
    organization: Organization,
    name: str | Unset = UNSET,
    domains: Iterable[str] | Unset = UNSET,
    tier: object = UNSET,
    sla_policy: object = UNSET,
    notes: str | Unset = UNSET,
) -> Organization:
    """Change an organization. A new tier or override policy is announced
    (organization.updated) so the SLA engine re-measures the organization's open tickets."""
    before = {"tier": organization.tier_id, "sla_policy": organization.sla_policy_id}
    if name is not UNSET:
        organization.name = name
    if tier is not UNSET:
        organization.tier = tier
    if sla_policy is not UNSET:
        policy_check_current(sla_policy, before["sla_policy"])
        organization.sla_policy = sla_policy
    if notes is not UNSET:
        organization.notes = notes
    organization.save()
    if domains is not UNSET:
        _set_domains(organization, domains)
    after = {"tier": organization.tier_id, "sla_policy": organization.sla_policy_id}
    changes = {k: (before[k], after[k]) for k in before if before[k] != after[k]}
    if changes:
        events.publish(
            events.ORGANIZATION_UPDATED, data={"organization": organization.pk}, changes=changes
        )
    return organization


def _set_domains(organization: Organization, domains: Iterable[str]) -> None:
    wanted = {d.strip().lower() for d in domains if d.strip()}
    taken = OrganizationDomain.objects.filter(domain__in=wanted).exclude(organization=organization)
    if taken.exists():
        raise ValidationError(
            {"domains": [f"{d.domain} already belongs to another organization." for d in taken]}
        )
    organization.domains.exclude(domain__in=wanted).delete()
    existing = set(organization.domains.values_list("domain", flat=True))
    OrganizationDomain.objects.bulk_create(
        OrganizationDomain(organization=organization, domain=d) for d in sorted(wanted - existing)
    )
