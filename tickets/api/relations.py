"""Merging tickets and problems with their incidents: thin views over
tickets.services.merge / .problems. Both ends of every operation must be tickets the caller
sees (tickets_visible_to): the path's ticket is a 404 otherwise, a ticket named in the body a
400 on its field (nothing written)."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import NotFound
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.permissions import STAFF
from api.pagination import CursorPagination
from core.unset import UNSET

from .. import selectors, services
from ..models import ProblemLink, ProblemSettings, Ticket
from .serializers import TicketSerializer


class MergeRequestSerializer(serializers.Serializer):
    target_id = serializers.IntegerField(
        min_value=1, help_text="The ticket this one is merged into (same customer)."
    )


class MergeSerializer(serializers.Serializer):
    source_id = serializers.IntegerField()
    target_id = serializers.IntegerField()
    merged_by = serializers.IntegerField(source="merged_by_id", allow_null=True)
    created_at = serializers.DateTimeField()
    target = TicketSerializer()


class IncidentsLinkSerializer(serializers.Serializer):
    incident_ids = serializers.ListField(
        child=serializers.IntegerField(min_value=1), min_length=1, max_length=100
    )


class IncidentSerializer(serializers.ModelSerializer):
    id = serializers.IntegerField(source="incident.id")
    subject = serializers.CharField(source="incident.subject")
    status = serializers.CharField(source="incident.status")
    requester = serializers.CharField(source="incident.requester.name")
    team = serializers.CharField(source="incident.team.name", allow_null=True, default=None)
    linked_at = serializers.DateTimeField(source="created_at")

    class Meta:
        model = ProblemLink
        fields = ["id", "subject", "status", "requester", "team", "linked_at", "notified_at"]
        read_only_fields = fields


class ProblemSettingsSerializer(serializers.Serializer):
    update_body = serializers.CharField(
        allow_blank=True,
        max_length=20_000,
        required=False,
        help_text="The public update each incident's requester gets when the problem is "
        "solved (placeholders as in macros; blank: the default text).",
    )
    solve_incidents = serializers.BooleanField(
        required=False, help_text="Solve the incidents with the update (default true)."
    )


class ProblemSerializer(ProblemSettingsSerializer):
    problem = serializers.IntegerField()
    incidents = serializers.IntegerField(help_text="Linked incidents.")
    notified = serializers.IntegerField(help_text="Incidents whose requester got the update.")


def _visible(request, pk: int) -> Ticket:
    return get_object_or_404(selectors.tickets_visible_to(request.user), pk=pk)


def _visible_by_field(request, ids: list[int], field: str) -> list[Ticket]:
    found = {t.pk: t for t in selectors.tickets_visible_to(request.user).filter(pk__in=ids)}
    missing = [pk for pk in ids if pk not in found]
    if missing:
        raise ValidationError({field: [f"Ticket {pk} not found." for pk in missing]})
    return [found[pk] for pk in dict.fromkeys(ids)]


TICKET_PATH = [OpenApiParameter("id", int, OpenApiParameter.PATH, description="The ticket.")]


class TicketMergeView(APIView):
    """Merge this ticket into `target_id` (same customer, neither closed): this one is closed
    with a pointer, its messages are shown in the target and the customer's later replies on
    its threads go there; audited on both."""

    roles = {"write": STAFF}

    @extend_schema(
        parameters=TICKET_PATH, request=MergeRequestSerializer, responses=MergeSerializer
    )
    def post(self, request, pk: int):
        source = _visible(request, pk)
        data = MergeRequestSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        (target,) = _visible_by_field(request, [data.validated_data["target_id"]], "target_id")
        merge = services.ticket_merge(source=source, target=target, actor=request.user)
        merge.target = selectors.with_list_relations(Ticket.objects.all(), request.user).get(
            pk=merge.target_id
        )
        return Response(MergeSerializer(merge).data)


class IncidentPagination(CursorPagination):
    ordering = ("created_at", "id")


class ProblemIncidentsView(APIView):
    """The incidents of this problem (oldest link first); POST links more (each made an
    incident, the problem a problem; an incident of another problem moves here)."""

    roles = {"read": STAFF, "write": STAFF}
    pagination_class = IncidentPagination

    @extend_schema(parameters=TICKET_PATH, responses=IncidentSerializer(many=True))
    def get(self, request, pk: int):
        problem = _visible(request, pk)
        paginator = self.pagination_class()
        page = paginator.paginate_queryset(selectors.problem_incidents(problem), request, view=self)
        return paginator.get_paginated_response(IncidentSerializer(page, many=True).data)

    @extend_schema(
        parameters=TICKET_PATH,
        request=IncidentsLinkSerializer,
        responses={201: IncidentSerializer(many=True)},
    )
    def post(self, request, pk: int):
        problem = _visible(request, pk)
        data = IncidentsLinkSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        incidents = _visible_by_field(request, data.validated_data["incident_ids"], "incident_ids")
        services.problem_incidents_link(problem=problem, incidents=incidents, actor=request.user)
        links = selectors.problem_incidents(problem).filter(incident__in=incidents)
        return Response(IncidentSerializer(links, many=True).data, status=status.HTTP_201_CREATED)


class ProblemIncidentView(APIView):
    """Unlink one incident from this problem."""

    roles = {"write": STAFF}

    @extend_schema(
        parameters=[
            *TICKET_PATH,
            OpenApiParameter(
                "incident_id", int, OpenApiParameter.PATH, description="The incident."
            ),
        ],
        responses={204: None},
    )
    def delete(self, request, pk: int, incident_id: int):
        problem = _visible(request, pk)
        incident = _visible(request, incident_id)
        try:
            services.problem_incident_unlink(problem=problem, incident=incident, actor=request.user)
        except ProblemLink.DoesNotExist:
            raise NotFound(f"#{incident_id} is not an incident of #{pk}.") from None
        return Response(status=status.HTTP_204_NO_CONTENT)


class ProblemView(APIView):
    """What solving this problem does to its incidents (the update text, whether they are
    solved), with how many are linked and how many were told."""

    roles = {"read": STAFF, "write": STAFF}

    def _body(self, problem: Ticket) -> dict:
        settings_ = ProblemSettings.objects.filter(problem=problem).first()
        links = ProblemLink.objects.filter(problem=problem)
        return ProblemSerializer(
            {
                "problem": problem.pk,
                "update_body": settings_.update_body if settings_ else "",
                "solve_incidents": settings_.solve_incidents if settings_ else True,
                "incidents": links.count(),
                "notified": links.filter(notified_at__isnull=False).count(),
            }
        ).data

    @extend_schema(parameters=TICKET_PATH, responses=ProblemSerializer)
    def get(self, request, pk: int):
        return Response(self._body(_visible(request, pk)))

    @extend_schema(
        parameters=TICKET_PATH, request=ProblemSettingsSerializer, responses=ProblemSerializer
    )
    def patch(self, request, pk: int):
        problem = _visible(request, pk)
        data = ProblemSettingsSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        attrs = data.validated_data
        services.problem_settings_set(
            problem=problem,
            actor=request.user,
            update_body=attrs.get("update_body", UNSET),
            solve_incidents=attrs.get("solve_incidents", UNSET),
        )
        return Response(self._body(problem))
