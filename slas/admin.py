from django.contrib import admin

from .models import SlaTier


@admin.register(SlaTier)
class SlaTierAdmin(admin.ModelAdmin):
    list_display = ["name", "rank"]
