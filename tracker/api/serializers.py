"""What each API read returns. Plain serializers over the objects the selectors load (nothing here
queries the database): the views hand them a request and a `link` function in the context for the
absolute web URLs."""

from dataclasses import dataclass

from django.urls import reverse
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from ..formatting import person


def absolute(context, path: str) -> str:
    return context["request"].build_absolute_uri(path)


class WebUrlField(serializers.Field):
    """The object's page on the site, as an absolute URL."""

    def __init__(self, **kwargs):
        kwargs.setdefault("source", "*")
        kwargs.setdefault("read_only", True)
        kwargs.setdefault("help_text", _("The page on the site that shows it."))
        super().__init__(**kwargs)

    def to_representation(self, value):
        return absolute(self.context, value.get_absolute_url())


extend_schema_field({"type": "string", "format": "uri"})(WebUrlField)


class StatusSerializer(serializers.Serializer):
    code = serializers.CharField(source="status", help_text=_("The status's code, as filters take it."))
    label = serializers.CharField(source="get_status_display", help_text=_("The status in words."))


class DialogueRefSerializer(serializers.Serializer):
    slug = serializers.SlugField()
    name = serializers.CharField()


class ThemeRefSerializer(serializers.Serializer):
    slug = serializers.SlugField()
    name = serializers.CharField()


def french(english: str):
    """The French version of a text, as written in the admin (read only; empty when there is none)."""
    return serializers.CharField(
        read_only=True,
        help_text=format_lazy(
            _("The French version of “{field}”; empty when none was written."), field=english
        ),
    )


class DialogueSerializer(serializers.Serializer):
    slug = serializers.SlugField()
    name = serializers.CharField()
    name_fr = french("name")
    announced_on = serializers.DateField()
    description = serializers.CharField()
    description_fr = french("description")
    parties = serializers.ListField(
        child=serializers.CharField(),
        source="party_codes",
        help_text=_("The countries' two-letter codes."),
    )
    url = WebUrlField()


class ThemeSerializer(serializers.Serializer):
    slug = serializers.SlugField()
    name = serializers.CharField()
    name_fr = french("name")
    kind = serializers.CharField(help_text=_("“objective” or “governance”."))
    description = serializers.CharField()
    description_fr = french("description")
    order = serializers.IntegerField(help_text=_("Its position on the overview."))
    dialogue = serializers.CharField(
        source="dialogue.slug",
        allow_null=True,
        help_text=_("The slug of the dialogue it belongs to, if any."),
    )
    url = WebUrlField()


class AgencySerializer(serializers.Serializer):
    slug = serializers.SlugField()
    name = serializers.CharField()
    name_fr = french("name")
    acronym = serializers.CharField()
    country = serializers.CharField(help_text=_("The country's two-letter code."))
    country_name = serializers.CharField(help_text=_("The country's name."))
    parent = serializers.CharField(
        source="parent.slug", allow_null=True, help_text=_("The slug of the agency it is part of, if any.")
    )
    url = WebUrlField()


class ParticipationSerializer(serializers.Serializer):
    slug = serializers.SlugField(source="agency.slug")
    name = serializers.CharField(source="agency.name")
    acronym = serializers.CharField(source="agency.acronym")
    country = serializers.CharField(help_text=_("The country's two-letter code."))
    role = serializers.CharField(help_text=_("“lead” or “partner”."))


class SourceSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    title = serializers.CharField()
    language = serializers.CharField(
        read_only=True, help_text=_("The language it is written in (its quotes are never translated).")
    )
    url = WebUrlField(help_text=_("The source's page on the site, with its full text."))


class CommitmentSerializer(serializers.Serializer):
    """A commitment as it stood on the day asked about (`as_of`, else today)."""

    id = serializers.IntegerField()
    title = serializers.CharField()
    title_fr = french("title")
    dialogue = DialogueRefSerializer()
    themes = ThemeRefSerializer(many=True)
    agencies = ParticipationSerializer(many=True, source="participations.all")
    status = StatusSerializer(source="*")
    progress = serializers.IntegerField(help_text=_("Per cent, 0 to 100."))
    announced_on = serializers.DateField()
    due_on = serializers.DateField(allow_null=True)
    last_update_on = serializers.DateField(allow_null=True, help_text=_("The date of the latest update."))
    is_overdue = serializers.BooleanField()
    is_stale = serializers.BooleanField(help_text=_("Open, and no update for a long time."))
    is_blocked = serializers.BooleanField(help_text=_("A commitment it waits on is in trouble."))
    quote = serializers.CharField()
    source = SourceSerializer(allow_null=True)
    url = serializers.SerializerMethodField(help_text=_("Its page on the site (as of the day asked about)."))

    def get_url(self, commitment) -> str:
        return self.context["link"](commitment.pk)


class CommitmentRefSerializer(serializers.Serializer):
    """Another commitment named on a commitment's record (a sub-commitment, a blocker)."""

    id = serializers.IntegerField()
    title = serializers.CharField()
    status = StatusSerializer(source="*")
    progress = serializers.IntegerField()
    due_on = serializers.DateField(allow_null=True)
    url = serializers.SerializerMethodField()

    def get_url(self, commitment) -> str:
        return self.context["link"](commitment.pk)


class CommitmentLinkSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    title = serializers.CharField()
    url = serializers.SerializerMethodField()

    def get_url(self, commitment) -> str:
        return self.context["link"](commitment.pk)


class DependencySerializer(serializers.Serializer):
    commitment = CommitmentRefSerializer()
    troubling = serializers.BooleanField(
        help_text=_("Off track, at risk or overdue on the day: it holds up what waits on it.")
    )


class EvidenceFileSerializer(serializers.Serializer):
    name = serializers.CharField(source="original_name")
    url = serializers.SerializerMethodField()

    def get_url(self, evidence) -> str:
        return absolute(self.context, reverse("tracker:evidence_file", args=[evidence.pk]))


class WithdrawalSerializer(serializers.Serializer):
    at = serializers.DateTimeField(source="withdrawn_at")
    reason = serializers.CharField(source="withdrawal_reason")


class UpdateSerializer(serializers.Serializer):
    """One status update of a commitment's trail."""

    id = serializers.IntegerField()
    reported_on = serializers.DateField(help_text=_("The date the update describes."))
    recorded_at = serializers.DateTimeField(source="created_at", help_text=_("When it was recorded."))
    status = StatusSerializer(source="*")
    progress = serializers.IntegerField()
    text = serializers.CharField()
    reason = serializers.CharField(help_text=_("The reason for slippage, or empty."))
    reason_note = serializers.CharField()
    evidence_url = serializers.CharField()
    # Prefetched as a list (models.attached_files) by every read that serializes updates.
    evidence_files = EvidenceFileSerializer(many=True, source="attached_files")
    author = serializers.SerializerMethodField()
    withdrawn = serializers.SerializerMethodField(
        help_text=_("Set when the update was withdrawn: it stays in the record but no longer counts.")
    )

    def get_author(self, update) -> str:
        return person(update.author)

    @extend_schema_field(WithdrawalSerializer(allow_null=True))
    def get_withdrawn(self, update):
        return WithdrawalSerializer(update).data if update.is_withdrawn else None


class SyncedUpdateSerializer(UpdateSerializer):
    """An update as /updates/ lists it: with the commitment it reports on."""

    commitment = serializers.IntegerField(source="commitment_id")
    commitment_url = serializers.SerializerMethodField()

    def get_commitment_url(self, update) -> str:
        return self.context["link"](update.commitment_id)


class RoundSerializer(serializers.Serializer):
    number = serializers.IntegerField()
    held_on = serializers.DateField()
    place = serializers.CharField()
    title = serializers.CharField()


class AssessmentSerializer(serializers.Serializer):
    party = serializers.CharField(help_text=_("The country code of the side assessed."))
    round = serializers.IntegerField(source="round.number")
    score = serializers.IntegerField(
        allow_null=True, help_text=_("+1, 0 or −1; null: no evidence available.")
    )
    score_label = serializers.CharField()
    rationale = serializers.CharField()
    evidence_links = serializers.ListField(child=serializers.CharField())
    assessed_on = serializers.DateField()
    assessor = serializers.SerializerMethodField()
    superseded = serializers.BooleanField(
        default=False, help_text=_("A later assessment by the same party at the same round replaces it.")
    )

    def get_assessor(self, assessment) -> str:
        return person(assessment.assessor)


class PartyColumnSerializer(serializers.Serializer):
    party = serializers.CharField()
    name = serializers.CharField()
    latest = AssessmentSerializer(allow_null=True, help_text=_("Its assessment at the latest round held."))
    earlier = AssessmentSerializer(
        allow_null=True, help_text=_("Without one there, its latest at an earlier round.")
    )


class AssessmentsSerializer(serializers.Serializer):
    latest_round = RoundSerializer(allow_null=True)
    parties = PartyColumnSerializer(many=True, source="columns")
    history = serializers.SerializerMethodField(help_text=_("Every assessment, latest round first."))

    @extend_schema_field(AssessmentSerializer(many=True))
    def get_history(self, board):
        found = [a for r in board.history for party in r.parties for a in party.assessments]
        return AssessmentSerializer(found, many=True, context=self.context).data


class CommitmentDetailSerializer(CommitmentSerializer):
    # As the page reads them (selectors.commitment.themes_and_agencies): lists, not prefetches.
    themes = ThemeRefSerializer(many=True, source="theme_list")
    agencies = ParticipationSerializer(many=True, source="participation_list")
    description = serializers.CharField()
    parent = CommitmentLinkSerializer(allow_null=True, help_text=_("The commitment it is part of, if any."))
    sub_commitments = CommitmentRefSerializer(many=True)
    blocked_by = DependencySerializer(many=True, source="dependencies.blocked_by")
    blocks = DependencySerializer(many=True, source="dependencies.blocks")
    trail = UpdateSerializer(
        many=True,
        help_text=_("Its updates reported by the day, newest first, withdrawn ones included and marked."),
    )
    assessments = AssessmentsSerializer(source="assessment_board")


class UnknownValueSerializer(serializers.Serializer):
    field = serializers.CharField()
    value = serializers.CharField()


@dataclass(frozen=True)
class Placed:
    """A row of a report grouped by objective, with its group: the changes and the scorecard list
    their rows flat, each naming its objective."""

    group: object
    row: object


# --- changes ------------------------------------------------------------------------------------


class WindowSerializer(serializers.Serializer):
    # "from" is a Python keyword, so the fields are named here rather than as class attributes.
    def get_fields(self):
        return {
            "from": serializers.DateField(help_text=_("Changes after the end of this day…")),
            "to": serializers.DateField(help_text=_("…up to the end of this one.")),
        }


class KindCountSerializer(serializers.Serializer):
    kind = serializers.CharField()
    label = serializers.CharField()
    count = serializers.IntegerField()


class StateSerializer(serializers.Serializer):
    status = serializers.CharField()
    label = serializers.CharField(help_text=_("The status in words."))
    progress = serializers.IntegerField()
    last_update_on = serializers.DateField(allow_null=True)


class ObjectiveRefSerializer(serializers.Serializer):
    slug = serializers.CharField(help_text=_("Empty for the commitments under no objective."))
    name = serializers.CharField()


class ChangeRowSerializer(serializers.Serializer):
    """One commitment over the window, under one objective (a Placed row)."""

    objective = serializers.SerializerMethodField()
    id = serializers.IntegerField(source="row.pk")
    title = serializers.CharField(source="row.title")
    dialogue = serializers.CharField(source="row.dialogue", help_text=_("The dialogue's name."))
    kind = serializers.CharField(source="row.main_kind", help_text=_("How it moved, or “new”."))
    kinds = serializers.ListField(
        child=serializers.CharField(),
        source="row.kinds",
        help_text=_("Its kind, then any of became_overdue, became_stale and silent."),
    )
    start = StateSerializer(
        source="row.start", allow_null=True, help_text=_("Null: announced in the window.")
    )
    end = StateSerializer(source="row.end")
    progress_delta = serializers.IntegerField(source="row.progress_delta")
    updates_in_window = serializers.IntegerField(source="row.n_updates")
    url = serializers.SerializerMethodField()

    @extend_schema_field(ObjectiveRefSerializer)
    def get_objective(self, pair):
        return {"slug": pair.group.slug, "name": str(pair.group.name)}

    def get_url(self, pair) -> str:
        return self.context["link"](pair.row.pk)


# --- the scorecard ------------------------------------------------------------------------------


class SummarySerializer(serializers.Serializer):
    mean = serializers.FloatField(
        allow_null=True, help_text=_("The mean score, −1 to +1 (null: none scored).")
    )
    percentage = serializers.FloatField(allow_null=True, help_text=_("The mean on 0 to 100."))
    scored = serializers.IntegerField(source="scores.scored")
    no_evidence = serializers.IntegerField(source="scores.no_evidence")
    unassessed = serializers.IntegerField(source="scores.unassessed")


class CellSerializer(serializers.Serializer):
    party = serializers.CharField()
    score = serializers.SerializerMethodField(help_text=_("+1, 0 or −1; null when not scored."))
    state = serializers.SerializerMethodField(help_text=_("“scored”, “no_evidence” or “unassessed”."))
    label = serializers.CharField(source="face.label")

    def get_score(self, cell) -> int | None:
        return cell.value if isinstance(cell.value, int) else None

    def get_state(self, cell) -> str:
        return "scored" if isinstance(cell.value, int) else cell.value


class PartySummarySerializer(serializers.Serializer):
    party = serializers.CharField()
    name = serializers.CharField()
    summary = SummarySerializer()


class ScorecardRowSerializer(serializers.Serializer):
    """One commitment's row, under its objective (a Placed row)."""

    objective = serializers.SerializerMethodField()
    commitment = serializers.SerializerMethodField()
    cells = CellSerializer(many=True, source="row.cells")
    summary = SummarySerializer(source="row.summary")

    @extend_schema_field(ObjectiveRefSerializer(allow_null=True))
    def get_objective(self, pair):
        theme = pair.group.theme
        return {"slug": theme.slug, "name": theme.name} if theme else None

    @extend_schema_field(CommitmentLinkSerializer)
    def get_commitment(self, pair):
        return CommitmentLinkSerializer(pair.row.commitment, context=self.context).data


class ScorecardSerializer(serializers.Serializer):
    dialogue = DialogueRefSerializer()
    round = RoundSerializer(
        allow_null=True, help_text=_("Null: no round held yet; every cell is unassessed.")
    )
    parties = PartySummarySerializer(many=True, source="columns")
    overall = SummarySerializer()
    rows = ScorecardRowSerializer(many=True, source="placed_rows")
