"""What the OpenAPI schema says about the reads' parameters and answers, derived where it can be
from the code that decides them (the list's filters from CommitmentFilter itself)."""

import django_filters
from django.utils.translation import gettext_lazy as _
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, inline_serializer
from rest_framework import serializers

from ..filters import CommitmentFilter
from .errors import PROBLEM_CONTENT_TYPE
from .pagination import MAX_PAGE_SIZE


class ReadSchema(AutoSchema):
    """Takes a view's `operation_id` when it names one: a list and its items share a path prefix,
    from which drf-spectacular would derive the same id for both."""

    def get_operation_id(self):
        return getattr(self.view, "operation_id", None) or super().get_operation_id()

    def get_description(self):
        return str(getattr(self.view, "about", "")) or super().get_description()


class ErrorSerializer(serializers.Serializer):
    field = serializers.CharField(allow_null=True, help_text=_("The parameter or field at fault, if one is."))
    message = serializers.CharField()


class ProblemSerializer(serializers.Serializer):
    """RFC 9457 problem details (tracker/api/errors.py)."""

    type = serializers.CharField()
    title = serializers.CharField()
    status = serializers.IntegerField()
    detail = serializers.CharField()
    errors = ErrorSerializer(many=True, required=False)


def problem_response(description):
    return OpenApiResponse(ProblemSerializer, description=description)


PROBLEM_JSON = PROBLEM_CONTENT_TYPE
# Keyed by (status, media type): errors.py answers them as problem details, not as plain JSON.
ERRORS = {
    (400, PROBLEM_JSON): problem_response(_("A parameter is not valid: see errors.")),
    (401, PROBLEM_JSON): problem_response(_("Not logged in.")),
    (403, PROBLEM_JSON): problem_response(_("Not allowed.")),
    (404, PROBLEM_JSON): problem_response(_("No such thing.")),
}


def paged(serializer_class, **extra):
    """A page of `serializer_class` items, with `extra` fields beside the results."""
    name = serializer_class.__name__.removesuffix("Serializer")
    page = inline_serializer(
        name=f"Paged{name}List",
        fields={
            "count": serializers.IntegerField(),
            "next": serializers.URLField(allow_null=True),
            "previous": serializers.URLField(allow_null=True),
            **extra,
            "results": serializer_class(many=True),
        },
    )
    return {(200, "application/json"): page, **ERRORS}


PAGING = [
    OpenApiParameter("page", OpenApiTypes.INT, description=_("The page, from 1; beyond the last: 404.")),
    OpenApiParameter(
        "page_size", OpenApiTypes.INT, description=_("Items per page, 1 to %(max)d.") % {"max": MAX_PAGE_SIZE}
    ),
]
AS_OF = OpenApiParameter(
    "as_of",
    OpenApiTypes.DATE,
    description=_("Show the tracker as it stood at the end of this day (YYYY-MM-DD); default today."),
)
SINCE = OpenApiParameter(
    "since",
    OpenApiTypes.DATETIME,
    required=True,
    description=_("Updates recorded at or after this moment (ISO 8601; without a zone, the site's)."),
)
FROM = OpenApiParameter(
    "from", OpenApiTypes.DATE, description=_("Start of the window; default 90 days before its end.")
)
TO = OpenApiParameter("to", OpenApiTypes.DATE, description=_("End of the window; default today."))
ROUND = OpenApiParameter(
    "round", OpenApiTypes.INT, description=_("The round's number; default the latest held.")
)


def filter_parameter(name: str, field: django_filters.Filter) -> OpenApiParameter:
    """One filter of CommitmentFilter as a query parameter: repeated for the multiple ones, with its
    values where they are fixed."""
    choices = [value for value, _label in field.extra.get("choices", ()) if value]
    schema_type = {"type": "string", **({"enum": choices} if choices else {})}
    many = isinstance(field, django_filters.MultipleChoiceFilter)
    description = field.label
    if many:
        description = _(
            "%(label)s: repeat it for several (any matches); an unknown slug matches nothing."
        ) % {"label": field.label}
    return OpenApiParameter(
        name,
        {"type": "array", "items": schema_type} if many else schema_type,
        description=description,
        explode=True if many else None,
    )


COMMITMENT_FILTERS = [filter_parameter(name, field) for name, field in CommitmentFilter.base_filters.items()]
THEME = filter_parameter("theme", CommitmentFilter.base_filters["theme"])
AGENCY = filter_parameter("agency", CommitmentFilter.base_filters["agency"])
