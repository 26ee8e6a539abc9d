from django.urls import path

from . import dashboards, search, views

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
    path("search/", search.search_results, name="search"),
]
