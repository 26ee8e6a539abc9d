from django.urls import path

from . import dashboards, list_pages, views

app_name = "desk"

urlpatterns = [
    path("", views.queue, name="queue"),
    path("login/", views.LoginView.as_view(), name="login"),
    path("logout/", views.LogoutView.as_view(), name="logout"),
    path("queue/rows/", views.queue_rows, name="queue-rows"),
    path("claim/", views.claim, name="claim"),
    path("availability/", views.availability, name="availability"),
    path("tickets/<int:pk>/", views.ticket_detail, name="ticket"),
    path("tickets/<int:pk>/reply/", views.ticket_reply, name="ticket-reply"),
    path("tickets/<int:pk>/fields/", views.ticket_fields, name="ticket-fields"),
    path("tickets/<int:pk>/presence/", views.ticket_presence, name="ticket-presence"),
    path("reports/", dashboards.dashboard, name="dashboard"),
    path("views/<slug:slug>/", list_pages.builtin_view, name="view"),
    path("saved-views/", list_pages.saved_view_create, name="saved-view-create"),
    path("saved-views/<int:pk>/", list_pages.saved_view, name="saved-view"),
    path("saved-views/<int:pk>/delete/", list_pages.saved_view_delete, name="saved-view-delete"),
    path("profile/", list_pages.profile, name="profile"),
]
