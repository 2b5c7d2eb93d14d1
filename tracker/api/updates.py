"""The API's one write: POST /api/v1/commitments/<id>/updates/ posts a status update.

It goes through the page's service (services.status_update_create): the commitment's current state
kept in step, the reason rule, no future dates, the author recorded, history kept, and the same
update posted twice within a few minutes recorded once. The page's permission decides who may post
(permissions.MayPostStatusUpdates); a token must have the "read and post" scope
(authentication.TokenAuthentication). An Idempotency-Key header makes a retry land once
(idempotency.py).
"""

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import RegexValidator
from django.db import IntegrityError, transaction
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import exceptions, serializers, status
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from .. import services
from ..forms import StatusUpdateForm
from ..models import Commitment, SlipReason, Status, StatusUpdate
from . import idempotency
from .errors import PROBLEM_CONTENT_TYPE
from .permissions import MayPostStatusUpdates
from .schema import problem_response


class PayloadTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = _("The request body is too large.")
    default_code = "too_large"


# --- what is sent and what comes back -----------------------------------------------------------


class StatusUpdatePostSerializer(serializers.ModelSerializer):
    """What a client reports: the page's form fields (tracker/forms.py StatusUpdateForm), with the
    model's own validators (progress 0–100, no future date, known status and reason). The reason rule
    is the model's too, applied when the service validates the update."""

    class Meta:
        model = StatusUpdate
        fields = StatusUpdateForm.Meta.fields  # one list: what the page asks for is what a client sends
        extra_kwargs = {
            # Not blank, said so the schema can say it too (a pattern; a whitespace-only text is blank).
            "text": {"validators": [RegexValidator(r"\S", message=_("Say what happened."))]},
            "reported_on": {"help_text": _("The day the update describes; today when left out.")},
            "reason": {"help_text": _("Required when the status is at risk, off track or discontinued.")},
            "reason_note": {"help_text": _("Required when the reason is “other”.")},
        }


class CommitmentStateSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    status = serializers.ChoiceField(choices=Status.choices)
    progress = serializers.IntegerField(min_value=0, max_value=100)
    last_update_on = serializers.DateField(allow_null=True)
    slip_reason = serializers.CharField(allow_blank=True)
    url = serializers.SerializerMethodField(help_text=_("The commitment's page on the site."))

    def get_url(self, commitment) -> str:
        # Absolute, like every item the API reads out (tracker/api/serializers.py).
        return self.context["request"].build_absolute_uri(commitment.get_absolute_url())


class StatusUpdatePostedSerializer(serializers.ModelSerializer):
    """The update as recorded, with the commitment's state after it."""

    author = serializers.CharField(source="author.get_username")
    reason = serializers.ChoiceField(choices=[("", ""), *SlipReason.choices])
    already_recorded = serializers.BooleanField(
        help_text=_("True when this same update was already recorded a moment ago and was not added again.")
    )
    commitment = CommitmentStateSerializer()

    class Meta:
        model = StatusUpdate
        fields = [
            "id",
            "commitment",
            "reported_on",
            "status",
            "progress",
            "text",
            "evidence_url",
            "reason",
            "reason_note",
            "author",
            "created_at",
            "already_recorded",
        ]


# --- the view -----------------------------------------------------------------------------------


class StatusUpdateCreate(APIView):
    permission_classes = [IsAuthenticated, MayPostStatusUpdates]

    @extend_schema(
        operation_id="commitment_update_create",
        summary="Post a status update",
        description=(
            "Records a status update on the commitment, as its page's form does, and moves the "
            "commitment's current status and progress to match. Needs the editor's permission, and for "
            "a token the “read and post” scope. The same update posted again within a few minutes is "
            "recorded once (200, `already_recorded`). With an `Idempotency-Key` header a retried post "
            "answers the first answer again, marked `Idempotency-Replayed: true`."
        ),
        request=StatusUpdatePostSerializer,
        parameters=[
            OpenApiParameter(
                name=idempotency.HEADER,
                type=OpenApiTypes.STR,
                location=OpenApiParameter.HEADER,
                required=False,
                description=(
                    "Any unique string up to 255 characters (a UUID): a retry with the same key and "
                    f"body lands once; kept {idempotency.IDEMPOTENCY_KEY_HOURS} hours."
                ),
            ),
        ],
        responses={
            201: StatusUpdatePostedSerializer,
            200: OpenApiResponse(
                StatusUpdatePostedSerializer, description="Already recorded: not added again."
            ),
            (400, PROBLEM_CONTENT_TYPE): problem_response(
                "Malformed JSON, or fields that are not valid (each named in `errors`)."
            ),
            (401, PROBLEM_CONTENT_TYPE): problem_response(
                "No credentials, or a token unknown, expired, revoked or in the query string."
            ),
            (403, PROBLEM_CONTENT_TYPE): problem_response(
                "Not an editor, a read-only token, or a session post without its CSRF token."
            ),
            (404, PROBLEM_CONTENT_TYPE): problem_response("No such commitment."),
            (413, PROBLEM_CONTENT_TYPE): problem_response("The body is too large."),
            (415, PROBLEM_CONTENT_TYPE): problem_response("The body is not application/json."),
            (422, PROBLEM_CONTENT_TYPE): problem_response(
                "The Idempotency-Key was used for a different request."
            ),
            (429, PROBLEM_CONTENT_TYPE): problem_response("Too many requests: see Retry-After."),
        },
        tags=["updates"],
    )
    def post(self, request, pk):
        self._refuse_a_huge_body(request)
        commitment = get_object_or_404(Commitment, pk=pk)
        data = self._body(request)
        key = idempotency.request_key(request)
        fingerprint = idempotency.request_fingerprint(request, data) if key else ""
        if key:
            earlier = idempotency.replay(user=request.user, key=key, fingerprint=fingerprint)
            if earlier is not None:
                return earlier
        try:
            with transaction.atomic():
                response = self._post(request, commitment, data)
                if key:
                    idempotency.remember(
                        user=request.user, key=key, fingerprint=fingerprint, response=response
                    )
        except IntegrityError:
            # Another request with the same key was recorded meanwhile: this one's update is rolled
            # back, and that one's answer given.
            earlier = key and idempotency.replay(user=request.user, key=key, fingerprint=fingerprint)
            if not earlier:
                raise
            return earlier
        return response

    def _post(self, request, commitment, data) -> Response:
        incoming = StatusUpdatePostSerializer(data=data)
        incoming.is_valid(raise_exception=True)
        try:
            update = services.status_update_create(
                commitment=commitment, author=request.user, **incoming.validated_data
            )
        except DjangoValidationError as error:
            raise exceptions.ValidationError(_field_messages(error)) from None
        update.commitment = commitment  # the service copied the new state onto it
        answer = Response(
            StatusUpdatePostedSerializer(update, context={"request": request}).data,
            status=status.HTTP_200_OK if update.already_recorded else status.HTTP_201_CREATED,
        )
        answer["Location"] = request.build_absolute_uri(commitment_api_path(commitment.pk))
        return answer

    @staticmethod
    def _refuse_a_huge_body(request) -> None:
        """Refuse by the announced length before reading anything: DRF reads the stream itself, so
        Django's DATA_UPLOAD_MAX_MEMORY_SIZE would not stop it."""
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            raise exceptions.ParseError(_("The Content-Length header is not a number.")) from None
        if limit is not None and length > limit:
            raise PayloadTooLarge(_too_large_message(limit))

    @staticmethod
    def _body(request) -> dict:
        try:
            return request.data
        except RequestDataTooBig:
            raise PayloadTooLarge(_too_large_message(settings.DATA_UPLOAD_MAX_MEMORY_SIZE)) from None


def _too_large_message(limit: int) -> str:
    return _("The request body is larger than %(limit)s bytes: send less.") % {"limit": limit}


def _field_messages(error: DjangoValidationError):
    """A Django ValidationError (the model's checks, run by the service) as DRF's field errors."""
    if hasattr(error, "error_dict"):
        return {
            (serializers.api_settings.NON_FIELD_ERRORS_KEY if field == "__all__" else field): messages
            for field, messages in error.message_dict.items()
        }
    return error.messages


def commitment_api_path(pk: int) -> str:
    """Where the API shows the commitment, whose trail holds the update (updates have no address
    of their own)."""
    return reverse("api:commitment_detail", kwargs={"pk": pk})
