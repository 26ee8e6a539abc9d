"""The public survey page: `/surveys/{token}/`, answered without logging in.

GET shows a small HTML form; POST takes the form or JSON. The token is signed and expires,
so a link cannot be guessed or reused after SURVEY_TTL_DAYS; answering again updates.
"""

from __future__ import annotations

import json

from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from api.errors import error_body, field_errors

from .api.serializers import SurveyAnswerSerializer
from .surveys import survey_answer, survey_from_token

CSAT_CHOICES = range(1, 6)
CES_CHOICES = range(1, 8)
NPS_CHOICES = range(0, 11)


def _wants_json(request: HttpRequest) -> bool:
    return request.content_type == "application/json" or "json" in request.headers.get("Accept", "")


def _form_data(request: HttpRequest) -> dict:
    if request.content_type == "application/json":
        try:
            data = json.loads(request.body or b"null")
        except ValueError:
            data = None
        return data if isinstance(data, dict) else {"_": "not an object"}
    return {k: v for k, v in request.POST.items() if v != "" and k != "csrfmiddlewaretoken"}


# Customers answer from a link in an email or chat: no session, so no CSRF token to check; the
# signed token in the URL is what authorizes the answer.
@csrf_exempt
@require_http_methods(["GET", "POST"])
def survey_answer_view(request: HttpRequest, token: str) -> HttpResponse:
    survey = survey_from_token(token)
    if survey is None:
        if _wants_json(request):
            return JsonResponse(
                error_body(404, "not_found", "This survey link is invalid or has expired."),
                status=404,
            )
        return render(request, "followups/survey_gone.html", status=404)
    context = {
        "survey": survey,
        "csat_choices": CSAT_CHOICES,
        "ces_choices": CES_CHOICES,
        "nps_choices": NPS_CHOICES,
    }
    if request.method == "GET":
        return render(request, "followups/survey_form.html", context)
    answer = SurveyAnswerSerializer(data=_form_data(request))
    errors = None
    if answer.is_valid():
        try:
            survey = survey_answer(survey=survey, **answer.validated_data)
        except ValidationError as exc:
            errors = exc.message_dict
    else:
        errors = answer.errors
    if errors:
        if _wants_json(request):
            return JsonResponse(
                error_body(400, "invalid", "Check the answers.", fields=field_errors(errors)),
                status=400,
            )
        context["errors"] = errors
        return render(request, "followups/survey_form.html", context, status=400)
    if _wants_json(request):
        return JsonResponse({"survey": survey.pk, "answered_at": survey.answered_at.isoformat()})
    return render(request, "followups/survey_thanks.html", {"survey": survey})
