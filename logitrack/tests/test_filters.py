"""logitrack.http.filters: a query parameter given but invalid (empty included) is a 400 naming it, an absent one
filters nothing, and `FilteredList` gives a plain APIView a FilterSet the OpenAPI schema documents."""

import datetime as dt
import uuid

import django_filters
import pytest
from django import forms
from django.urls import path
from django.utils import timezone
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.test import APIClient
from rest_framework.views import APIView

from logitrack.http.filters import (
    BooleanFilter,
    ChoiceFilter,
    DateTimeFilter,
    FilteredList,
    IntegerFilter,
    UUIDFilter,
    choices,
    one_of,
    unasked_narrow_nothing,
)
from logitrack.outbox.models import OutboxMessage
from logitrack.principal import Role

URL = "/messages/"


class MessageFilter(django_filters.FilterSet):
    event_id = UUIDFilter()
    role = ChoiceFilter(field_name="source", choices=choices(Role))
    source = ChoiceFilter(choices=[("trips", "Trips"), ("fleet", "Fleet")], message="must be trips or fleet")
    attempts = IntegerFilter(field_name="relay_attempts", min_value=0, max_value=10)
    published = BooleanFilter(field_name="published_at", lookup_expr="isnull", exclude=True)
    since = DateTimeFilter(field_name="occurred_at", lookup_expr="gte")

    class Meta:
        model = OutboxMessage
        fields: list[str] = []


class MessageOutput(serializers.Serializer):
    event_id = serializers.UUIDField()


class MessageListApi(FilteredList, APIView):
    permission_classes = [AllowAny]
    filterset_class = MessageFilter

    @extend_schema(responses={200: MessageOutput(many=True)}, operation_id="messages_list")
    def get(self, request):
        rows = self.filter_queryset(OutboxMessage.objects.order_by("id"))
        return Response([str(row.event_id) for row in rows])


class FirstAttemptApi(FilteredList, APIView):
    """Validates the parameters before it looks anything up, and reads a value from them."""

    permission_classes = [AllowAny]
    filterset_class = MessageFilter

    @extend_schema(responses={200: MessageOutput(many=True)}, operation_id="messages_attempts")
    def get(self, request):
        found = self.query_filters()
        return Response(
            {
                "attempts": found.form.cleaned_data["attempts"],
                "count": found.filter_queryset(OutboxMessage.objects.all()).count(),
            }
        )


urlpatterns = [path("messages/", MessageListApi.as_view()), path("attempts/", FirstAttemptApi.as_view())]


def _message(source: str, *, attempts: int = 0, published: bool = False) -> OutboxMessage:
    now = timezone.now()
    return OutboxMessage.objects.create(
        event_id=uuid.uuid4(),
        event_type=f"{source}.something",
        source=source,
        envelope={},
        occurred_at=now - dt.timedelta(hours=attempts),
        relay_attempts=attempts,
        published_at=now if published else None,
    )


ROLES = one_of(sorted(role.value for role in Role))


@pytest.mark.urls("logitrack.tests.test_filters")
@pytest.mark.parametrize(
    ("query", "errors"),
    [
        ({"event_id": "nope"}, {"event_id": ["Must be a valid UUID."]}),
        ({"event_id": ""}, {"event_id": ["Must be a valid UUID."]}),
        ({"role": "captain"}, {"role": [ROLES]}),
        ({"role": ""}, {"role": [ROLES]}),
        ({"source": "billing"}, {"source": ["must be trips or fleet"]}),
        ({"source": ""}, {"source": ["must be trips or fleet"]}),
        ({"attempts": "1.5"}, {"attempts": ["A valid integer is required."]}),
        ({"attempts": ""}, {"attempts": ["A valid integer is required."]}),
        ({"attempts": "11"}, {"attempts": ["Ensure this value is less than or equal to 10."]}),
        ({"published": "maybe"}, {"published": ["Must be a valid boolean."]}),
        ({"published": "True"}, {"published": ["Must be a valid boolean."]}),
        ({"published": ""}, {"published": ["Must be a valid boolean."]}),
        (
            {"since": "soon"},
            {
                "since": [
                    serializers.DateTimeField()
                    .error_messages["invalid"]
                    .format(format="YYYY-MM-DDThh:mm[:ss[.uuuuuu]][+HH:MM|-HH:MM|Z]")
                ]
            },
        ),
        (
            {"event_id": "", "source": "x"},
            {"event_id": ["Must be a valid UUID."], "source": ["must be trips or fleet"]},
        ),
    ],
)
@pytest.mark.django_db
def test_an_invalid_or_empty_parameter_is_a_400_naming_it(query, errors):
    for url in (URL, "/attempts/"):
        response = APIClient().get(url, query)
        assert response.status_code == 400, response.content
        assert response["Content-Type"].startswith("application/problem+json")
        assert response.json()["code"] == "validation_failed"
        assert response.json()["errors"] == errors


@pytest.mark.urls("logitrack.tests.test_filters")
@pytest.mark.django_db
def test_absent_parameters_filter_nothing_and_given_ones_narrow():
    trips, fleet, sent = _message("trips"), _message("fleet", attempts=3), _message("trips", published=True)
    client = APIClient()
    assert client.get(URL).json() == [str(trips.event_id), str(fleet.event_id), str(sent.event_id)]
    assert client.get(URL, {"since": ""}).json() == client.get(URL).json()  # a time given empty is "no bound"
    assert client.get(URL, {"source": "fleet"}).json() == [str(fleet.event_id)]
    assert client.get(URL, {"event_id": f" {trips.event_id} "}).json() == [str(trips.event_id)]
    assert client.get(URL, {"attempts": "3"}).json() == [str(fleet.event_id)]
    assert client.get(URL, {"published": "true"}).json() == [str(sent.event_id)]
    assert client.get(URL, {"published": "false", "source": "trips"}).json() == [str(trips.event_id)]
    since = (timezone.now() - dt.timedelta(hours=1)).isoformat()
    assert client.get(URL, {"since": since, "source": "trips"}).json() == [str(trips.event_id), str(sent.event_id)]
    assert client.get("/attempts/", {"attempts": "3"}).json() == {"attempts": 3, "count": 1}
    assert client.get("/attempts/").json() == {"attempts": None, "count": 3}


@pytest.mark.urls("logitrack.tests.test_filters")
def test_the_schema_documents_the_parameters_of_an_apiview_list():
    schema = SchemaGenerator(patterns=urlpatterns).get_schema(request=None, public=True)
    operation = schema["paths"]["/messages/"]["get"]
    params = {p["name"]: p["schema"] for p in operation["parameters"] if p["in"] == "query"}
    assert params["event_id"] == {"type": "string", "format": "uuid"}
    assert params["role"]["enum"] == sorted(role.value for role in Role)
    assert params["source"]["enum"] == ["fleet", "trips"]
    assert params["attempts"]["type"] == "integer"
    assert params["published"]["type"] == "boolean"
    assert params["since"] == {"type": "string", "format": "date-time"}
    assert "description" not in operation  # the mixin lends the views no description of its own


class CheckedFilter(django_filters.FilterSet):
    """Narrows even when not asked: an unticked checkbox cleans to False, which the filter applies."""

    published = django_filters.BooleanFilter(
        field_name="published_at", lookup_expr="isnull", exclude=True, widget=forms.CheckboxInput
    )

    class Meta:
        model = OutboxMessage
        fields: list[str] = []


class NarrowingFilter(MessageFilter):
    def filter_queryset(self, queryset):
        return super().filter_queryset(queryset).filter(relay_attempts=0)


def test_a_filterset_that_narrows_only_when_asked_is_skipped_when_nothing_is_asked():
    assert unasked_narrow_nothing(MessageFilter)
    assert not unasked_narrow_nothing(CheckedFilter)
    assert not unasked_narrow_nothing(NarrowingFilter)


@pytest.mark.urls("logitrack.tests.test_filters")
@pytest.mark.django_db
def test_a_list_asked_no_filter_builds_no_filterset(monkeypatch):
    built = []
    monkeypatch.setattr(MessageFilter, "__new__", lambda cls, *a, **kw: built.append(cls) or object.__new__(cls))
    client = APIClient()
    assert client.get(URL).status_code == 200
    assert built == []
    assert client.get(URL, {"attempts": "1"}).status_code == 200
    assert built == [MessageFilter]
