"""The help center, public: /help/ picks a language, /help/<locale>/... are the pages."""

from django.urls import path

from . import views

urlpatterns = [
    path("", views.home_redirect, name="help-root"),
    path("files/<int:pk>/<str:filename>", views.file, name="help-file"),
    path("<str:locale>/", views.home, name="help-home"),
    path("<str:locale>/search/", views.search_page, name="help-search"),
    path("<str:locale>/categories/<str:slug>/", views.category, name="help-category"),
    path("<str:locale>/articles/<str:slug>/", views.article, name="help-article"),
    path("<str:locale>/articles/<str:slug>/vote/", views.vote, name="help-vote"),
]
