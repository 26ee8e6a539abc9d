from django.contrib import admin

from .models import Customer, CustomerIdentity, Organization, OrganizationDomain


class OrganizationDomainInline(admin.TabularInline):
    model = OrganizationDomain
    extra = 1


@admin.register(Organization)
class OrganizationAdmin(admin.ModelAdmin):
    list_display = ["name", "tier", "created_at"]
    list_filter = ["tier"]
    search_fields = ["name", "domains__domain"]
    inlines = [OrganizationDomainInline]


class CustomerIdentityInline(admin.TabularInline):
    model = CustomerIdentity
    extra = 1


@admin.register(Customer)
class CustomerAdmin(admin.ModelAdmin):
    list_display = ["__str__", "organization", "created_at"]
    list_select_related = ["organization"]
    search_fields = ["name", "identities__value"]
    list_filter = ["organization"]
    raw_id_fields = ["organization", "source_integration"]
    inlines = [CustomerIdentityInline]


@admin.register(CustomerIdentity)
class CustomerIdentityAdmin(admin.ModelAdmin):
    list_display = ["value", "kind", "platform", "customer"]
    list_filter = ["kind", "platform"]
    search_fields = ["value"]
    raw_id_fields = ["customer"]


@admin.register(OrganizationDomain)
class OrganizationDomainAdmin(admin.ModelAdmin):
    list_display = ["domain", "organization"]
    search_fields = ["domain"]
