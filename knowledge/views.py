"""Help center pages (placeholder until the templates land)."""

from __future__ import annotations

from django.http import HttpResponse


def home_redirect(request):
    return HttpResponse("help")


def home(request, locale):
    return HttpResponse("help")


def search_page(request, locale):
    return HttpResponse("help")


def category(request, locale, slug):
    return HttpResponse("help")


def article(request, locale, slug):
    return HttpResponse("help")


def vote(request, locale, slug):
    return HttpResponse("help")
