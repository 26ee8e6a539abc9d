from django.urls import path

from . import api, files, views

app_name = "widget"

urlpatterns = [
    path("widget.js", views.loader, name="loader"),
    path("frame/<int:channel_id>/", views.frame, name="frame"),
    path("api/session/", api.SessionView.as_view(), name="session"),
    path("api/history/", api.HistoryView.as_view(), name="history"),
    path("api/messages/", api.MessageView.as_view(), name="messages"),
    path("api/upload/", api.UploadView.as_view(), name="upload"),
    path("api/typing/", api.TypingView.as_view(), name="typing"),
    path("api/transcript/", api.TranscriptView.as_view(), name="transcript"),
    path("api/suggest/", api.SuggestView.as_view(), name="suggest"),
    path("files/<str:token>/", files.download, name="file"),
]
