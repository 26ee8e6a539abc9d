from django.urls import path

from . import (
    bulk,
    conversation,
    customers,
    dashboards,
    goodwill,
    list_pages,
    new_ticket,
    search,
    ticket_tools,
    typing,
    views,
)

app_name = "desk"

urlpatterns = [
    path("", views.queue, name="queue"),
    path("login/", views.LoginView.as_view(), name="login"),
    path("logout/", views.LogoutView.as_view(), name="logout"),
    path("queue/rows/", views.queue_rows, name="queue-rows"),
    path("claim/", views.claim, name="claim"),
    path("availability/", views.availability, name="availability"),
    path("tickets/new/", new_ticket.new_ticket, name="ticket-new"),
    path("tickets/<int:pk>/", views.ticket_detail, name="ticket"),
    path("tickets/<int:pk>/reply/", views.ticket_reply, name="ticket-reply"),
    path("tickets/<int:pk>/fields/", views.ticket_fields, name="ticket-fields"),
    path("tickets/<int:pk>/presence/", views.ticket_presence, name="ticket-presence"),
    path("tickets/<int:pk>/messages/", conversation.messages_after, name="ticket-messages"),
    path("tickets/<int:pk>/typing/", typing.ticket_typing, name="ticket-typing"),
    path(
        "tickets/<int:pk>/messages/<int:message_id>/retry/",
        views.message_retry,
        name="message-retry",
    ),
    path("reports/", dashboards.dashboard, name="dashboard"),
    # macros, merge and problems on the ticket page (desk/ticket_tools.py)
    path("tickets/<int:pk>/macros/", ticket_tools.macro_picker, name="ticket-macros"),
    path("tickets/<int:pk>/merge/", ticket_tools.merge, name="ticket-merge"),
    path("tickets/<int:pk>/problem/", ticket_tools.link_to_problem, name="ticket-link-problem"),
    path("tickets/<int:pk>/incidents/", ticket_tools.link_incidents, name="ticket-incidents"),
    path(
        "tickets/<int:pk>/incidents/<int:incident_id>/unlink/",
        ticket_tools.unlink_incident,
        name="ticket-unlink-incident",
    ),
    path(
        "tickets/<int:pk>/problem/settings/",
        ticket_tools.problem_settings,
        name="ticket-problem-settings",
    ),
    path("tickets/bulk/", bulk.bulk, name="tickets-bulk"),
    path("tickets/<int:pk>/goodwill/", goodwill.ticket_goodwill, name="ticket-goodwill"),
    path("goodwill/", goodwill.requests, name="goodwill-requests"),
    path("goodwill/<int:pk>/decide/", goodwill.decide, name="goodwill-decide"),
    path("customers/<int:pk>/", customers.customer_page, name="customer"),
    path("organizations/<int:pk>/", customers.organization_page, name="organization"),
    path("views/<slug:slug>/", list_pages.builtin_view, name="view"),
    path("saved-views/", list_pages.saved_view_create, name="saved-view-create"),
    path("saved-views/<int:pk>/", list_pages.saved_view, name="saved-view"),
    path("saved-views/<int:pk>/delete/", list_pages.saved_view_delete, name="saved-view-delete"),
    path("profile/", list_pages.profile, name="profile"),
    path("search/", search.search_results, name="search"),
]
