"""The two identity reads on every ticket create and inbound message, in SQL written once
per process (core.rows): which stored identities a request names, and which identities of
its customer the caller may see. Same answers as the ORM queries they replace
(tests/customers/test_identity_reads.py compares them), without compiling them anew.
Only our models' own table and column names are interpolated; values are parameters."""

from __future__ import annotations

from functools import cache

from django.db import connection

from core import rows

from .models import Customer, CustomerIdentity, IdentitySubmission, Organization

_ONE = "(i.kind = %s AND i.platform = %s AND i.value = %s)"


def _submitted_by() -> str:
    submissions = rows.table(IdentitySubmission)
    return (
        f"EXISTS (SELECT 1 FROM {submissions} s"  # noqa: S608 - model names
        " WHERE s.identity_id = i.id AND s.integration_id = %s)"
    )


@cache
def _matching_sql(count: int, with_integration: bool) -> str:
    identities = rows.table(CustomerIdentity)
    select = ", ".join(
        [
            rows.columns(CustomerIdentity, "i"),
            rows.columns(Customer, "c"),
            rows.columns(Organization, "o"),
            _submitted_by() if with_integration else "TRUE",
            # How many identities the customer has: all of them in hand or not (identities_held)
            f"(SELECT count(*) FROM {identities} x WHERE x.customer_id = c.id)",  # noqa: S608
        ]
    )
    joins = (
        f"{rows.table(CustomerIdentity)} i JOIN {rows.table(Customer)} c ON c.id = i.customer_id"
        f" LEFT JOIN {rows.table(Organization)} o ON o.id = c.organization_id"
    )
    where = " OR ".join([_ONE] * count)
    return f"SELECT {select} FROM {joins} WHERE {where} ORDER BY i.id"  # noqa: S608 - as above


def matching_identities(items, integration) -> list[CustomerIdentity]:
    """The stored identities among `items` (kind, value, platform), oldest first, each with
    its customer and the customer's organization in hand and annotated `submitted`: whether
    `integration` (None: nobody) already submitted it, and `customer_identities`: how many
    identities its customer has."""
    if not items:
        return []
    params: list = [integration.pk] if integration is not None else []
    params += [v for item in items for v in (item.kind, item.platform, item.value)]
    with connection.cursor() as cursor:
        cursor.execute(_matching_sql(len(items), integration is not None), params)
        found = cursor.fetchall()
    out = []
    for *columns, submitted, customer_identities in found:
        identity, customer, organization = rows.split(
            columns, CustomerIdentity, Customer, Organization
        )
        rows.cache_related(customer, "organization", organization)
        rows.cache_related(identity, "customer", customer)
        identity.submitted = submitted
        identity.customer_identities = customer_identities
        out.append(identity)
    return out


def identities_held(customer: Customer, identities: list[CustomerIdentity], integration) -> None:
    """Remember on `customer` that `identities` are all it has, each submitted by
    `integration` (None: resolved for staff, who see every identity) by the end of this
    transaction: hold_visible_identities then answers from them, without a read."""
    customer._identities_held = (
        integration.pk if integration is not None else None,
        sorted(identities, key=lambda identity: identity.pk),
    )


@cache
def _visible_sql(integration: bool) -> str:
    select = rows.columns(CustomerIdentity, "i")
    sql = f"SELECT {select} FROM {rows.table(CustomerIdentity)} i"  # noqa: S608 - as above
    sql += " WHERE i.customer_id = %s"
    if integration:
        sql += f" AND {_submitted_by()}"
    return sql + " ORDER BY i.id"


def hold_visible_identities(customer: Customer, user) -> None:
    """Hold `customer.identities.all()` as `user` may see them: the rule of
    customers.selectors.identities_visible_to (staff every identity, an integration those
    it submitted, anyone else none), read in one statement, or none when the customer was
    just resolved with all its identities in hand (identities_held)."""
    if not user.is_authenticated or not (user.is_agent or user.is_integration):
        rows.hold_prefetched(customer, "identities", [])
        return
    integration = not user.is_agent
    held = getattr(customer, "_identities_held", None)
    if held is not None and (not integration or held[0] == user.pk):
        # Every identity the customer has, each this integration's (or staff's: all).
        for identity in held[1]:
            rows.cache_related(identity, "customer", customer)
        rows.hold_prefetched(customer, "identities", held[1])
        return
    sql = _visible_sql(integration)
    with connection.cursor() as cursor:
        cursor.execute(sql, [customer.pk, user.pk] if integration else [customer.pk])
        found = [rows.instance(CustomerIdentity, row) for row in cursor.fetchall()]
    for identity in found:
        rows.cache_related(identity, "customer", customer)
    rows.hold_prefetched(customer, "identities", found)
