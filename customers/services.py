"""Customer operations: creating, updating and finding customers by any of their identities."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from core import events, rows
from core.transactions import service_atomic
from core.unset import UNSET, Unset

from . import identities as ids
from .identity_reads import identities_held, matching_identities
from .locales import SUPPORTED as SUPPORTED_LOCALES
from .locales import locale_from_header
from .models import (
    Customer,
    CustomerIdentity,
    IdentityKind,
    IdentitySubmission,
    Organization,
)
from .organizations import organization_for_email, policy_check_current
from .selectors import customers_visible_to


@dataclass(frozen=True)
class IdentityInput:
    kind: str
    value: str
    platform: str = ""


def _normalized(items: Iterable[IdentityInput], field: str = "identities") -> list[IdentityInput]:
    out, errors = [], {}
    for index, item in enumerate(items):
        try:
            value, platform = ids.normalize(item.kind, item.value, item.platform)
        except ValidationError as exc:
            errors[f"{field}.{index}.value"] = exc.messages
            continue
        out.append(IdentityInput(item.kind, value, platform))
    if errors:
        raise ValidationError(errors)
    return out


def _attach_identities(customer: Customer, items: list[IdentityInput]) -> list[CustomerIdentity]:
    """Add identities, refusing any that already belong to someone else; returns those added."""
    errors, added = {}, []
    for index, item in enumerate(items):
        owner = (
            CustomerIdentity.objects.filter(
                kind=item.kind, platform=item.platform, value=item.value
            )
            .values_list("customer_id", flat=True)
            .first()
        )
        if owner == customer.pk:
            continue
        if owner is not None:
            # Not naming the owner: an integration must not learn another's customer ids.
            errors[f"identities.{index}.value"] = [f"{item.value} already belongs to a customer."]
            continue
        try:
            with transaction.atomic():
                added.append(
                    CustomerIdentity.objects.create(
                        customer=customer, kind=item.kind, platform=item.platform, value=item.value
                    )
                )
        except IntegrityError:  # taken concurrently
            errors[f"identities.{index}.value"] = [f"{item.value} already belongs to a customer."]
    if errors:
        raise ValidationError(errors)
    return added


def _record_submissions(identities: Iterable[CustomerIdentity], integration) -> None:
    """Remember that `integration` submitted these identities: it reads the customer through
    them, and through nothing another caller gave. One INSERT, none when there is nothing new."""
    rows = [IdentitySubmission(identity=i, integration=integration) for i in identities]
    if integration is not None and rows:
        IdentitySubmission.objects.bulk_create(rows, ignore_conflicts=True)


@service_atomic
def customer_create(
    *,
    name: str = "",
    identities: Iterable[IdentityInput] = (),
    organization: Organization | None = None,
    source_integration=None,
    locale: str = "",
) -> Customer:
    """Create a customer with its identities. Without an explicit organization, the first email
    whose domain belongs to an organization places the customer there. An integration creating
    it is recorded as its source and as the submitter of each identity. An identity that
    belongs to someone else is a ValidationError naming it, and nothing is written."""
    items = _normalized(identities)
    _check_locale(locale)
    _refuse_owned(items)
    return _customer_insert(
        name=name,
        items=items,
        organization=organization,
        source_integration=source_integration,
        locale=locale,
    )


def _refuse_owned(items: list[IdentityInput]) -> None:
    """ValidationError naming each of `items` that belongs to a customer (one statement)."""
    owned = {(i.kind, i.platform, i.value) for i in matching_identities(items, None)}
    errors = {
        f"identities.{index}.value": [f"{item.value} already belongs to a customer."]
        for index, item in enumerate(items)
        if (item.kind, item.platform, item.value) in owned
    }
    if errors:
        # Not naming the owner: an integration must not learn another's customer ids.
        raise ValidationError(errors)


def _customer_insert(
    *,
    name: str,
    items: list[IdentityInput],
    organization: Organization | None,
    source_integration,
    locale: str,
) -> Customer:
    """customer_create for identities nobody had when the caller looked: the customer and its
    identities in one statement (rows.insert_with), in a savepoint, so an identity taken
    concurrently since is a ValidationError that wrote nothing."""
    if organization is None:
        emails = (item.value for item in items if item.kind == IdentityKind.EMAIL)
        organization = next(filter(None, map(organization_for_email, emails)), None)
    customer = Customer(
        name=name, organization=organization, source_integration=source_integration, locale=locale
    )
    unique = dict.fromkeys(items)  # "Kim@x" and "kim@x" normalize alike: one identity
    added = [
        CustomerIdentity(customer=customer, kind=i.kind, platform=i.platform, value=i.value)
        for i in unique
    ]
    try:
        with transaction.atomic():
            rows.insert_with(customer, added)
    except IntegrityError:  # taken concurrently
        raise ValidationError(
            {"identities": ["One of these identities was just given to another customer."]}
        ) from None
    _record_submissions(added, source_integration)
    identities_held(customer, added, source_integration)
    events.publish(events.CUSTOMER_CREATED, customer=customer)
    return customer


@transaction.atomic
def customer_update(
    *,
    customer: Customer,
    name: str | Unset = UNSET,
    organization: Organization | Unset | None = UNSET,
    add_identities: Iterable[IdentityInput] = (),
    tier: object = UNSET,
    sla_policy: object = UNSET,
    locale: str | None = None,
    is_organization_contact: bool | None = None,
) -> Customer:
    """Change a customer. A new own tier or override policy (a current policy version) is
    announced (customer.updated) so the SLA engine re-measures the customer's open tickets,
    as organization_update does for an organization's. `locale` ("" = unknown) is the language
    we answer in; `is_organization_contact` lets the customer see the organization's tickets
    in the portal."""
    before = {"tier": customer.tier_id, "sla_policy": customer.sla_policy_id}
    if name is not UNSET:
        customer.name = name
    if locale is not None:
        _check_locale(locale)
        customer.locale = locale
    if is_organization_contact is not None:
        customer.is_organization_contact = is_organization_contact
    if organization is not UNSET:
        customer.organization = organization
    if tier is not UNSET:
        customer.tier = tier
    if sla_policy is not UNSET:
        policy_check_current(sla_policy, before["sla_policy"])
        customer.sla_policy = sla_policy
    customer.save()
    _attach_identities(customer, _normalized(add_identities))
    after = {"tier": customer.tier_id, "sla_policy": customer.sla_policy_id}
    changes = {k: (before[k], after[k]) for k in before if before[k] != after[k]}
    if changes:
        events.publish(events.CUSTOMER_UPDATED, customer=customer, changes=changes)
    return customer


def _check_locale(locale: str) -> None:
    if locale and locale not in SUPPORTED_LOCALES:
        raise ValidationError(
            {
                "locale": [
                    f"Unknown language {locale!r}: one of {', '.join(sorted(SUPPORTED_LOCALES))}."
                ]
            }
        )


def customer_locale_guess(*, customer: Customer, header: str | None) -> Customer:
    """Remember the language a customer's email or browser declared (`Content-Language`,
    `Accept-Language`), only while the customer has none: a locale set by the API, the admin
    or an earlier guess is never overwritten. One conditional UPDATE, so two messages at once
    cannot flip it either."""
    guessed = locale_from_header(header)
    if guessed and not customer.locale:
        if Customer.objects.filter(pk=customer.pk, locale="").update(locale=guessed):
            customer.locale = guessed
        else:
            customer.refresh_from_db(fields=["locale"])
    return customer


@service_atomic
def customer_resolve(
    *,
    identities: Iterable[IdentityInput],
    name: str = "",
    source_integration=None,
    clear_undeliverable: bool = False,
) -> Customer:
    """Find the customer any of these identities belongs to, or create one.

    `clear_undeliverable`: the identities just wrote to us, so they exist again (what
    identity_clear_undeliverable does, from the rows in hand: no write unless one was marked).

    Identities the found customer does not have yet are added to it, so the next message on
    another channel (the phone after the email) finds the same person. The same person is one
    customer whoever submits them: an integration naming an existing customer's email joins
    that customer, and is recorded as a submitter of exactly the identities it named (it then
    reads those, never the ones others submitted; see customers.selectors).
    """
    items = _normalized(identities)
    if not items:
        raise ValidationError({"identities": ["At least one email, phone or handle is needed."]})
    matches = matching_identities(items, source_integration)
    if not matches:
        try:
            # None of them is anybody's (matches are every owner's identities, whoever
            # submitted them); a concurrent create since writes nothing of ours.
            return _customer_insert(
                name=name,
                items=items,
                organization=None,
                source_integration=source_integration,
                locale="",
            )
        except ValidationError:
            # Lost a race with a concurrent create of the same identity: use theirs.
            matches = matching_identities(items, source_integration)
            if not matches:
                raise
    if clear_undeliverable:
        _clear_matched_undeliverable(matches)
    found = matches[0]
    customer = found.customer
    missing = [
        i
        for i in items
        if not (i.kind == found.kind and i.value == found.value and i.platform == found.platform)
    ]
    added = []
    if missing:
        try:
            with transaction.atomic():
                added = _attach_identities(customer, missing)
        except ValidationError:
            pass  # an identity belongs to another customer: keep the match, leave theirs alone
    theirs = [m for m in matches if m.customer_id == customer.pk]
    known = [m for m in theirs if not m.submitted]
    _record_submissions([*known, *added], source_integration)
    if found.customer_identities == len(theirs):  # every identity it has is in hand
        identities_held(customer, [*theirs, *added], source_integration)
    if name and not customer.name:
        customer.name = name
        customer.save(update_fields=["name", "updated_at"])
    return customer


@transaction.atomic
def identity_mark_undeliverable(
    *, address: str, reason: str, customer_id: int | None = None, at=None
) -> CustomerIdentity | None:
    """A hard bounce said mail to `address` cannot be delivered: mark its email identity so
    replies are no longer mailed to it. Only a known identity is marked (a bounce never
    creates a customer), and with `customer_id` only one of that customer's; returns it, or
    None. Marking again keeps the first time and the latest reason."""
    try:
        value = ids.normalize_email(address)
    except ValidationError:
        return None
    identities = CustomerIdentity.objects.select_for_update().filter(
        kind=IdentityKind.EMAIL, platform="", value=value
    )
    if customer_id is not None:
        identities = identities.filter(customer_id=customer_id)
    identity = identities.first()
    if identity is None:
        return None
    identity.undeliverable_at = identity.undeliverable_at or at or timezone.now()
    identity.undeliverable_reason = reason[:500]
    identity.save(update_fields=["undeliverable_at", "undeliverable_reason"])
    return identity


def identity_clear_undeliverable(*, address: str) -> int:
    """The address wrote to us, so it exists again: replies may be mailed to it. Returns how
    many identities changed (0 or 1)."""
    try:
        value = ids.normalize_email(address)
    except ValidationError:
        return 0
    return _clear_undeliverable(
        CustomerIdentity.objects.filter(
            kind=IdentityKind.EMAIL, platform="", value=value, undeliverable_at__isnull=False
        ).values("pk")
    )


def _clear_matched_undeliverable(matches: list[CustomerIdentity]) -> None:
    """_clear_undeliverable for identities in hand, which then say what their rows say (they
    may be held for the response: identities_held)."""
    cleared = [m for m in matches if m.undeliverable_at is not None]
    _clear_undeliverable([m.pk for m in cleared])
    for identity in cleared:
        identity.undeliverable_at, identity.undeliverable_reason = None, ""


def _clear_undeliverable(pks) -> int:
    """The one way an identity is deliverable again (ids or a subquery of them)."""
    if isinstance(pks, list) and not pks:
        return 0
    return CustomerIdentity.objects.filter(pk__in=pks, undeliverable_at__isnull=False).update(
        undeliverable_at=None, undeliverable_reason=""
    )


def customer_named_by(
    *,
    actor,
    customer_id: int | None = None,
    identities: Iterable[IdentityInput] = (),
    name: str = "",
    id_field: str = "customer_id",
) -> Customer:
    """The customer an API caller names: by id, among the customers `actor` may see (any
    other id is "not found" on `id_field`, whether it exists or not), else by identities
    (customer_resolve: found, or created as submitted by `actor` when it is an integration)."""
    if customer_id is not None:
        customer = customers_visible_to(actor).filter(pk=customer_id).first()
        if customer is None:
            raise ValidationError({id_field: [f"Customer {customer_id} not found."]})
        return customer
    return customer_resolve(
        identities=identities,
        name=name,
        source_integration=actor if actor.is_integration else None,
    )


def merged_organization_id(source: Customer, target: Customer) -> int | None:
    """The organization a merge leaves the surviving customer in (and the tickets it moves
    with them): the target's, else the source's."""
    return target.organization_id or source.organization_id


@transaction.atomic
def customer_merge(*, source: Customer, target: Customer, actor) -> Customer:
    """Merge `source` into `target`: every row that points at the source (tickets, message
    authors, identities, and whatever other apps attach to a customer) moves to the target,
    each moved ticket records a `requester_merged` audit event, and the source is deleted.
    The surviving customer keeps their organization (else takes the source's: see
    merged_organization_id); the tickets app moves the source's tickets into it too, and the
    SLA engine re-measures them under the tier that now applies (both on customer.merging).

    Relations are found through the model's meta, so an app that adds a foreign key to
    Customer is merged too without changing this function."""
    if source.pk == target.pk:
        raise ValidationError({"source_id": ["A customer cannot be merged into itself."]})
    source = Customer.objects.select_for_update().get(pk=source.pk)
    target = Customer.objects.select_for_update().get(pk=target.pk)
    # Before anything moves, so the tickets app still finds the source's tickets to audit.
    events.publish(events.CUSTOMER_MERGING, customer=target, actor=actor, data={"source": source})
    for relation in Customer._meta.get_fields(include_hidden=True):
        # Reverse foreign keys only, including hidden ones (related_name="+").
        if not (relation.auto_created and relation.is_relation and relation.one_to_many):
            continue
        relation.related_model._base_manager.filter(**{relation.field.name: source}).update(
            **{relation.field.name: target}
        )
    if not target.name and source.name:
        target.name = source.name
    target.organization_id = merged_organization_id(source, target)
    target.save()
    source.delete()
    return target
