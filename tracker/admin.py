from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models
from django.db.models import Case, Count, IntegerField, Q, Value, When
from django.http import HttpResponseRedirect
from django.template.defaultfilters import filesizeformat
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from import_export.admin import ImportExportMixin
from import_export.forms import ImportForm
from simple_history.admin import SimpleHistoryAdmin

from . import services
from .evidence import check_evidence_file
from .forms import SCORE_CHOICES, SCORE_OFF_SCALE, score_from_choice
from .imports import spreadsheets
from .models import (
    FOLLOWABLE,
    Agency,
    APIToken,
    Assessment,
    Commitment,
    Dialogue,
    DigestSent,
    DigestSubscription,
    EvidenceFile,
    Follow,
    FollowVisit,
    Participation,
    Round,
    SourceDocument,
    StatusUpdate,
    Theme,
)
from .roles import APPEND_ONLY_MODELS
from .services.api_tokens import api_token_revoke
from .services.digests import digest_subscription_set

# The site's titles and the order of its records: tracker/admin_site.py.


class SlugFromName:
    """Admin pages with a slug filled in from a name as it is typed, by the server's rule
    (tracker/slugs.py; the script replaces the admin's own, which drops dashes and apostrophes)."""

    class Media:
        # Named after the admin's urlify.js, so that the merged media load it after and it wins.
        js = ["admin/js/urlify.js", "js/admin-slug.js"]


class SlugFilledForm(forms.ModelForm):
    """Shows the formset the slug the model filled in (Model.clean, see tracker/slugs.py): several new
    rows left blank are then not taken for duplicates of one another, and two that would get the
    same slug are."""

    def _post_clean(self):
        super()._post_clean()
        if "slug" in self.cleaned_data and not self.cleaned_data["slug"]:
            self.cleaned_data["slug"] = self.instance.slug


class ThemeInline(SlugFromName, admin.TabularInline):
    model = Theme
    form = SlugFilledForm
    fields = ["name", "name_fr", "slug", "kind", "order"]
    prepopulated_fields = {"slug": ["name"]}
    verbose_name_plural = _("Objectives (themes)")

    def get_extra(self, request, obj=None, **kwargs):
        # A new dialogue comes with a few objectives; one spare row once it has them.
        return 3 if obj is None else 1


class RoundInline(admin.TabularInline):
    model = Round
    fields = ["number", "held_on", "place", "title", "outcome"]
    autocomplete_fields = ["outcome"]
    extra = 0


FILE_TOO_BIG = _(
    "The file is larger than %(limit)s MB, the most one import takes: split it into several files."
)
FILE_UNREADABLE = _("The file could not be read as %(format)s: it is empty, damaged or another kind of file.")
IMPORT_NOT_CONFIRMED = _("Nothing was imported: %(problem)s Upload the file again to see its preview.")


class SpreadsheetImportForm(ImportForm):
    """The upload step, refusing a file too big to preview before reading a byte of it."""

    def clean_import_file(self):
        upload = self.cleaned_data["import_file"]
        limit = settings.TRACKER_IMPORT_MAX_MEGABYTES
        if upload.size > limit * 1024 * 1024:
            raise forms.ValidationError(FILE_TOO_BIG % {"limit": limit})
        return upload


class SpreadsheetAdminMixin(ImportExportMixin):
    """Import and export as CSV or XLSX (tracker/imports/spreadsheets.py): upload, a preview of every
    row, then confirm. A file with any error row can't be confirmed, and the confirmed import runs in
    one transaction that any error rolls back, so a bad file changes nothing."""

    import_formats = spreadsheets.FORMATS
    export_formats = spreadsheets.FORMATS
    import_form_class = SpreadsheetImportForm
    import_template_name = "admin/tracker/import.html"
    # Messages only: a traceback is no use to staff, and must not reach them.
    import_error_display = ("message",)

    def has_import_permission(self, request):
        # Importing adds records and changes those it matches; the append-only trail is only added to.
        if not super().has_import_permission(request):
            return False
        model = self.opts.model_name
        return model in APPEND_ONLY_MODELS or request.user.has_perm(f"{self.opts.app_label}.change_{model}")

    def get_import_data_kwargs(self, **kwargs):
        kwargs = super().get_import_data_kwargs(**kwargs)
        # A row refused at confirmation (the data changed since the preview) undoes the whole file too.
        kwargs["rollback_on_validation_errors"] = True
        return kwargs

    def add_data_read_fail_error_to_form(self, form, e):
        if isinstance(e, spreadsheets.SpreadsheetError):
            form.add_error("import_file", str(e))
        elif isinstance(e, UnicodeDecodeError):
            form.add_error("import_file", str(spreadsheets.NOT_UTF8))
        else:
            form.add_error("import_file", FILE_UNREADABLE % {"format": _("CSV or XLSX")})

    def process_import(self, request, **kwargs):
        try:
            return super().process_import(request, **kwargs)
        except (OSError, ValueError, IndexError) as error:
            # The file kept between preview and confirmation is gone (confirmed twice?) or unreadable.
            problem = (
                str(error)
                if isinstance(error, spreadsheets.SpreadsheetError)
                else _("the file was not found.")
            )
            messages.error(request, IMPORT_NOT_CONFIRMED % {"problem": problem})
            return HttpResponseRedirect(self._import_url())

    def process_result(self, result, request):
        if result.has_errors() or result.has_validation_errors():
            messages.error(
                request,
                IMPORT_NOT_CONFIRMED
                % {"problem": _("some rows were refused (the data changed since the preview).")},
            )
            return HttpResponseRedirect(self._import_url())
        return super().process_result(result, request)

    def get_export_data(self, file_format, request, queryset, **kwargs):
        # As the library does for its own XLSX class (it tests the exact type): dates stay dates and
        # numbers numbers in a workbook; CSV writes them as text.
        if not self.has_export_permission(request):
            raise PermissionDenied
        native = file_format.is_binary()
        data = self.get_data_for_export(request, queryset, force_native_type=native, **kwargs)
        exported = file_format.export_data(data)
        encoding = kwargs.get("encoding")
        return exported.encode(encoding) if encoding and not file_format.is_binary() else exported

    def _import_url(self):
        return reverse(
            f"admin:{self.opts.app_label}_{self.opts.model_name}_import", current_app=self.admin_site.name
        )


@admin.register(Dialogue)
class DialogueAdmin(SlugFromName, SimpleHistoryAdmin):
    list_display = ["name", "parties", "announced_on", "commitment_count"]
    search_fields = ["name", "description"]
    prepopulated_fields = {"slug": ["name"]}
    inlines = [ThemeInline, RoundInline]
    fieldsets = [
        (
            None,
            {
                # Each English field beside its French version, on one row.
                "fields": [
                    ("name", "name_fr"),
                    "slug",
                    "parties",
                    "announced_on",
                    ("description", "description_fr"),
                ],
                "description": _(
                    "Create the dialogue first, with its objectives (themes) and rounds below; then its "
                    "source documents and any agencies not yet listed; then its commitments."
                ),
            },
        ),
        # Apart from the dialogue's description: it is a working rule for its commitments' reviews.
        (_("Reviews"), {"fields": ["review_every_days"]}),
    ]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(commitment_count=Count("commitments"))

    @admin.display(description="commitments", ordering="commitment_count")
    def commitment_count(self, obj):
        return obj.commitment_count


@admin.register(SourceDocument)
class SourceDocumentAdmin(SimpleHistoryAdmin):
    list_display = ["title", "publisher", "published_on"]
    list_filter = ["published_on"]
    search_fields = ["title", "publisher", "text"]


@admin.register(Theme)
class ThemeAdmin(SlugFromName, SpreadsheetAdminMixin, SimpleHistoryAdmin):
    resource_classes = [spreadsheets.ThemeResource]
    list_display = ["name", "dialogue", "kind", "slug", "order"]
    list_editable = ["order"]
    list_filter = ["dialogue", "kind"]
    list_select_related = ["dialogue"]
    search_fields = ["name", "name_fr", "description", "dialogue__name"]
    prepopulated_fields = {"slug": ["name"]}
    fieldsets = [
        (None, {"fields": ["dialogue", ("name", "name_fr"), "slug", "kind", "order"]}),
        (None, {"fields": [("description", "description_fr")]}),
    ]


@admin.register(Round)
class RoundAdmin(SimpleHistoryAdmin):
    list_display = ["dialogue", "number", "held_on", "place", "title"]
    list_display_links = ["dialogue", "number"]
    list_filter = ["dialogue"]
    list_select_related = ["dialogue"]
    # The dialogue's name too: rounds are numbered within each dialogue, so "2" alone is ambiguous.
    search_fields = ["title", "place", "dialogue__name"]
    autocomplete_fields = ["dialogue", "outcome"]
    ordering = ["dialogue", "number"]


@admin.register(Agency)
class AgencyAdmin(SlugFromName, SpreadsheetAdminMixin, SimpleHistoryAdmin):
    resource_classes = [spreadsheets.AgencyResource]
    list_display = ["name", "acronym", "country", "parent", "named_in_source"]
    list_filter = ["country", "named_in_source"]
    list_select_related = ["parent"]
    search_fields = ["name", "name_fr", "acronym", "slug"]
    autocomplete_fields = ["parent"]
    prepopulated_fields = {"slug": ["name"]}
    fieldsets = [
        (None, {"fields": [("name", "name_fr"), "acronym", "slug", "country", "parent", "named_in_source"]}),
        (None, {"fields": [("description", "description_fr")]}),
    ]
    actions = ["make_staff_follow"]

    def has_make_follow_permission(self, request) -> bool:
        # Choosing what other people follow is an administrator's call (editors edit records, not
        # people): only those who may add follows, whom no role but the administrators' holds.
        return request.user.has_perm("tracker.add_follow")

    @admin.action(description=_("Make this agency's staff follow it"), permissions=["make_follow"])
    def make_staff_follow(self, request, queryset):
        """An intermediate page: choose the users (or their groups); confirmed, each chosen user
        follows each chosen agency. Running it again adds only who is missing."""
        form = StaffFollowForm(request.POST if "apply" in request.POST else None)
        if form.is_bound and form.is_valid():
            users = form.chosen_users()
            for agency in queryset:
                added = services.follows_create_for_users(target=agency, users=users, by=request.user)
                self.log_change(request, agency, staff_follow_log_message(added, len(users)))
                self.message_user(
                    request,
                    _(
                        "%(agency)s: %(added)d of %(chosen)d chosen users now follow it (the others already did)."
                    )
                    % {"agency": agency, "added": len(added), "chosen": len(users)},
                    messages.SUCCESS,
                )
            return None  # back to the list of agencies, with the messages
        return TemplateResponse(
            request,
            "admin/tracker/agency/make_staff_follow.html",
            {
                **self.admin_site.each_context(request),
                "title": _("Make this agency's staff follow it"),
                "opts": self.model._meta,
                "agencies": queryset,
                "form": form,
                "action_name": "make_staff_follow",
                "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
            },
        )


def staff_follow_log_message(added, chosen: int) -> str:
    """The agency's history line for the action: who was made to follow it (the entry records by whom)."""
    return gettext("Made %(added)d of %(chosen)d chosen users follow it: %(names)s") % {
        "added": len(added),
        "chosen": chosen,
        "names": ", ".join(user.get_username() for user in added) or "-",
    }


class StaffFollowForm(forms.Form):
    """Whom the "make this agency's staff follow it" action makes follow: users picked one by one,
    everyone in some groups, or both. Inactive accounts are never added."""

    users = forms.ModelMultipleChoiceField(
        label=_("Users"),
        queryset=get_user_model().objects.filter(is_active=True).order_by("username"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    groups = forms.ModelMultipleChoiceField(
        label=_("Everyone in these groups"),
        queryset=Group.objects.order_by("name"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def clean(self):
        cleaned = super().clean()
        if not cleaned.get("users") and not cleaned.get("groups"):
            raise ValidationError(_("Choose at least one user or one group."), code="nobody")
        return cleaned

    def chosen_users(self) -> list:
        """The chosen users and the active members of the chosen groups, each once, by username."""
        chosen = Q(pk__in=[user.pk for user in self.cleaned_data["users"]]) | Q(
            groups__in=self.cleaned_data["groups"]
        )
        return list(get_user_model().objects.filter(chosen, is_active=True).distinct().order_by("username"))


class ParticipationInline(admin.TabularInline):
    model = Participation
    # Room for a lead on each side of a new commitment; one spare row once it has its agencies.
    autocomplete_fields = ["agency"]
    verbose_name_plural = _("Agencies (lead and partners)")

    def get_extra(self, request, obj=None, **kwargs):
        return 2 if obj is None else 1


class StatusUpdateInline(admin.StackedInline):
    """Updates can be added here; existing ones are read-only, because the trail is the record.

    Stacked, a few fields to a line, with narrow boxes: as a table its eight columns needed a
    window 1,700 pixels wide; this fits a 1280-pixel one beside the admin's menu."""

    model = StatusUpdate
    extra = 1
    fields = [
        ("reported_on", "status"),
        ("progress", "author"),
        "text",
        "reason",
        "reason_note",
        "evidence_url",
    ]
    readonly_fields = ["author"]
    formfield_overrides = {
        models.TextField: {"widget": forms.Textarea(attrs={"rows": 2, "cols": 60})},
        models.URLField: {"widget": forms.URLInput(attrs={"size": 60})},
        models.PositiveSmallIntegerField: {"widget": forms.NumberInput(attrs={"min": 0, "max": 100})},
    }
    ordering = ["-reported_on", "-created_at", "-id"]

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class AgencyListFilter(admin.RelatedFieldListFilter):
    def field_choices(self, field, request, model_admin):
        return [(a.pk, str(a)) for a in Agency.objects.order_by("country", "name")]


class ThemeChoices(forms.ModelMultipleChoiceField):
    """Themes named with their dialogue when it is not the commitment's own (see CommitmentAdminForm)."""

    own_dialogue_id = None

    def label_from_instance(self, theme):
        if theme.dialogue_id == self.own_dialogue_id:
            return theme.name
        return f"{theme.name} ({theme.dialogue.name if theme.dialogue else _('no dialogue')})"


class CommitmentAdminForm(forms.ModelForm):
    """Carries the version the editor started from, so a save can't silently overwrite another's."""

    seen_version = forms.IntegerField(widget=forms.HiddenInput, required=False)
    themes = ThemeChoices(
        queryset=Theme.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("This commitment's own dialogue's objectives come first."),
    )

    class Meta:
        model = Commitment
        fields = [
            "dialogue",
            "slug",
            "title",
            "title_fr",
            "description",
            "description_fr",
            "themes",
            "parent",
            "announced_on",
            "due_on",
            "review_every_days",
            "source",
            "quote",
            "made_in_round",
            "blocked_by",
        ]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["seen_version"].initial = self.instance.version
        self._offer_own_themes_first()

    def _offer_own_themes_first(self):
        """The themes, the commitment's own dialogue's first (in their order), then the others by
        dialogue: picking another dialogue's objective by mistake is what merged dialogues before."""
        own = self.instance.dialogue_id
        field = self.fields["themes"]
        field.own_dialogue_id = own
        field.queryset = (
            Theme.objects.select_related("dialogue")
            .annotate(
                is_other=Case(
                    When(dialogue_id=own, then=Value(0)), default=Value(1), output_field=IntegerField()
                )
            )
            .order_by("is_other", "dialogue__name", "order", "name")
        )

    def clean(self):
        cleaned = super().clean()
        if self.instance.pk is not None:
            # Locked until the admin's transaction ends, so two saves cannot both pass this check.
            current = (
                Commitment.objects.select_for_update()
                .filter(pk=self.instance.pk)
                .values("version", *Commitment.DERIVED_FIELDS)
                .first()
            ) or {}
            # Posting an update does not bump the version (see Commitment.save), so take the state
            # derived from the trail as it is now, under the lock, rather than as it was loaded:
            # saving this form must not put back a status an update has just replaced.
            for field in Commitment.DERIVED_FIELDS:
                if field in current:
                    setattr(self.instance, field, current[field])
            if cleaned.get("seen_version") != current.get("version"):
                raise forms.ValidationError(
                    "Someone else saved this commitment after you opened it. Your changes were not saved: "
                    "reload the page to see theirs, then make your changes again."
                )
        if "blocked_by" in cleaned:
            # After the row lock above, so a save that would close a cycle is checked against the
            # dependencies as they are now. The message names the chain.
            try:
                services.check_no_blocking_cycle(self.instance, cleaned["blocked_by"])
            except ValidationError as cycle:
                self.add_error("blocked_by", cycle)
        return cleaned


@admin.register(Commitment)
class CommitmentAdmin(SlugFromName, SpreadsheetAdminMixin, SimpleHistoryAdmin):
    form = CommitmentAdminForm
    prepopulated_fields = {"slug": ["title"]}
    resource_classes = [spreadsheets.CommitmentResource]
    list_display = ["title", "dialogue", "status_label", "progress", "due_on", "last_update_on"]
    list_filter = [
        "dialogue",
        "status",
        "themes",
        ("participations__agency", AgencyListFilter),
        ("participations__agency__country", admin.AllValuesFieldListFilter),
        "due_on",
    ]
    list_select_related = ["dialogue"]
    search_fields = ["title", "title_fr", "description", "quote"]
    autocomplete_fields = ["dialogue", "parent", "source", "made_in_round", "blocked_by"]
    readonly_fields = ["status", "progress", "last_update_on"]
    inlines = [ParticipationInline, StatusUpdateInline]
    fieldsets = [
        (
            None,
            {
                "fields": [
                    "dialogue",
                    ("title", "title_fr"),
                    "slug",
                    ("description", "description_fr"),
                    "themes",
                    "parent",
                    "seen_version",
                ],
                "description": _(
                    "Before a commitment, its dialogue (with its themes), its source document and its "
                    "agencies must exist; the + beside a field adds one without leaving this page."
                ),
            },
        ),
        (_("Source"), {"fields": ["source", "quote"]}),
        # The review cadence sits with the dates: with the latest update it makes the next review date.
        (_("Dates"), {"fields": ["announced_on", "due_on", "review_every_days", "made_in_round"]}),
        (_("Dependencies"), {"fields": ["blocked_by"]}),
        (
            "Current state (from the latest status update)",
            {"fields": ["status", "progress", "last_update_on"]},
        ),
    ]

    @admin.display(description="status", ordering="status")
    def status_label(self, obj):
        return format_html('<span class="status status-{}">{}</span>', obj.status, obj.get_status_display())

    def save_formset(self, request, form, formset, change):
        if formset.model is not StatusUpdate:
            return super().save_formset(request, form, formset, change)
        # New updates go through the service so the commitment's status moves with them.
        formset.new_objects = [
            services.status_update_create(
                commitment=form.instance,
                author=request.user,
                status=data["status"],
                progress=data["progress"],
                text=data["text"],
                reported_on=data["reported_on"],
                evidence_url=data.get("evidence_url", ""),
                reason=data.get("reason", ""),
                reason_note=data.get("reason_note", ""),
            )
            for data in (f.cleaned_data for f in formset.extra_forms if f.has_changed())
        ]
        formset.changed_objects, formset.deleted_objects = [], []


@admin.register(Participation)
class ParticipationAdmin(SimpleHistoryAdmin):
    list_display = ["commitment", "agency", "role"]
    list_filter = ["role", "agency__country", "commitment__dialogue"]
    list_select_related = ["commitment", "agency"]
    search_fields = ["commitment__title", "agency__name", "agency__acronym"]
    autocomplete_fields = ["commitment", "agency"]


# --- evidence files -----------------------------------------------------------------------------


class EvidenceFileForm(forms.ModelForm):
    """One file, checked from its content (tracker/evidence.py) with the page's messages. The name is
    not limited here: the stored name is random and the shown one is shortened (evidence.safe_name)."""

    file = forms.FileField(label=_("file"), max_length=None)

    class Meta:
        model = EvidenceFile
        fields = ["file"]

    def clean_file(self):
        upload = self.cleaned_data["file"]
        self.checked = check_evidence_file(upload)
        return upload


def _download_link(evidence):
    if evidence is None or evidence.pk is None:
        return "—"
    return format_html(
        '<a href="{}" download>{}</a> ({})',
        evidence.get_absolute_url(),
        evidence.original_name,
        filesizeformat(evidence.size),
    )


class EvidenceFileInline(admin.TabularInline):
    """Files are chosen when the update or the assessment is added (both are never changed after);
    the page then lists them as downloads. Deleting one is done on its own page, by a superuser."""

    model = EvidenceFile
    form = EvidenceFileForm
    extra = 1
    show_change_link = True

    def get_fields(self, request, obj=None):
        return ["file"] if obj is None else ["download", "content_type", "uploaded_by", "uploaded_at"]

    def get_readonly_fields(self, request, obj=None):
        return [] if obj is None else ["download", "content_type", "uploaded_by", "uploaded_at"]

    def get_extra(self, request, obj=None, **kwargs):
        return 1 if obj is None else 0

    @admin.display(description=_("file"))
    def download(self, obj):
        return _download_link(obj)

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class UpdateEvidenceInline(EvidenceFileInline):
    fk_name = "status_update"


class AssessmentEvidenceInline(EvidenceFileInline):
    fk_name = "assessment"


def attach_inline_files(request, form, formset, **owner) -> None:
    """Store the files chosen in an evidence inline through the service, for the update or assessment
    just saved (in the admin's transaction), with the person adding them as the uploader."""
    checked = [(f.cleaned_data["file"], f.checked) for f in formset.extra_forms if f.cleaned_data.get("file")]
    formset.new_objects = services.evidence_files_attach(checked=checked, uploaded_by=request.user, **owner)
    formset.changed_objects, formset.deleted_objects = [], []


class EvidenceFileAdminForm(EvidenceFileForm):
    """A file for an existing update or assessment: exactly one of them (the model's constraint says
    so, in words)."""

    class Meta:
        model = EvidenceFile
        fields = ["status_update", "assessment", "file"]


@admin.register(EvidenceFile)
class EvidenceFileAdmin(SimpleHistoryAdmin):
    """Files come with their update or assessment (the inlines below, the page); they are never
    changed. Adding one to an existing update or assessment here, and deleting one, are a
    superuser's acts, since the trail is the record: the file's history keeps who did it and when."""

    form = EvidenceFileAdminForm
    list_display = [
        "original_name",
        "content_type",
        "size_label",
        "status_update",
        "assessment",
        "uploaded_by",
        "uploaded_at",
    ]
    list_filter = ["content_type", "uploaded_at"]
    list_select_related = [
        "status_update__commitment",
        "assessment__commitment",
        "assessment__round",
        "uploaded_by",
    ]
    search_fields = ["original_name", "status_update__commitment__title", "assessment__commitment__title"]
    autocomplete_fields = ["status_update", "assessment"]
    date_hierarchy = "uploaded_at"

    def get_fields(self, request, obj=None):
        if obj is None:
            return ["status_update", "assessment", "file"]
        return [
            "download",
            "content_type",
            "size_label",
            "status_update",
            "assessment",
            "uploaded_by",
            "uploaded_at",
        ]

    def get_readonly_fields(self, request, obj=None):
        return [] if obj is None else self.get_fields(request, obj)

    @admin.display(description=_("file"))
    def download(self, obj):
        return _download_link(obj)

    @admin.display(description=_("size"), ordering="size")
    def size_label(self, obj):
        return filesizeformat(obj.size)

    def has_add_permission(self, request):
        return request.user.is_superuser

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return request.user.is_superuser

    def save_model(self, request, obj, form, change):
        (created,) = services.evidence_files_attach(
            checked=[(form.cleaned_data["file"], form.checked)],
            uploaded_by=request.user,
            status_update=form.cleaned_data.get("status_update"),
            assessment=form.cleaned_data.get("assessment"),
        )
        obj.pk, obj.file, obj.original_name = created.pk, created.file, created.original_name

    def delete_model(self, request, obj):
        services.evidence_file_delete(evidence=obj, by=request.user)

    def delete_queryset(self, request, queryset):
        for evidence in queryset:
            services.evidence_file_delete(evidence=evidence, by=request.user)


@admin.register(StatusUpdate)
class StatusUpdateAdmin(SpreadsheetAdminMixin, SimpleHistoryAdmin):
    """Append-only: anyone with the add permission can add, nobody edits, only superusers delete.
    Spreadsheets of updates are imported through the same service as one added here."""

    resource_classes = [spreadsheets.StatusUpdateResource]
    list_display = ["commitment", "status", "progress", "reported_on", "author"]
    list_filter = ["status", "commitment__dialogue", "reported_on"]
    list_select_related = ["commitment", "author"]
    search_fields = ["text", "commitment__title"]
    autocomplete_fields = ["commitment"]
    fields = [
        "commitment",
        "reported_on",
        "status",
        "progress",
        "text",
        "evidence_url",
        "reason",
        "reason_note",
    ]
    date_hierarchy = "reported_on"
    inlines = [UpdateEvidenceInline]

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return request.user.is_superuser

    def save_formset(self, request, form, formset, change):
        attach_inline_files(request, form, formset, status_update=form.instance)

    def save_model(self, request, obj, form, change):
        created = services.status_update_create(
            commitment=obj.commitment,
            author=request.user,
            status=obj.status,
            progress=obj.progress,
            text=obj.text,
            reported_on=obj.reported_on,
            evidence_url=obj.evidence_url,
            reason=obj.reason,
            reason_note=obj.reason_note,
        )
        obj.pk, obj.author, obj.created_at = created.pk, created.author, created.created_at

    def delete_model(self, request, obj):
        services.status_update_delete(update=obj, by=request.user)

    def delete_queryset(self, request, queryset):
        for update in queryset.select_related("commitment"):
            services.status_update_delete(update=update, by=request.user)


class AssessmentAdminForm(forms.ModelForm):
    """The score as the page asks for it: one of four answers, "no evidence available" among them
    (stored as no score), never left blank by mistake."""

    score = forms.TypedChoiceField(
        label=_("score"),
        choices=SCORE_CHOICES,
        coerce=score_from_choice,
        error_messages={"invalid_choice": SCORE_OFF_SCALE, "required": SCORE_OFF_SCALE},
    )

    class Meta:
        model = Assessment
        fields = ["commitment", "round", "party", "score", "rationale", "evidence", "assessed_on"]


class ScoreListFilter(admin.SimpleListFilter):
    """By score, "no evidence available" among them (no score stored)."""

    title = _("score")
    parameter_name = "score"

    def lookups(self, request, model_admin):
        return SCORE_CHOICES

    def queryset(self, request, queryset):
        value = self.value()
        if value not in dict(SCORE_CHOICES):
            return queryset
        return queryset.filter(score=score_from_choice(value))


@admin.register(Assessment)
class AssessmentAdmin(SimpleHistoryAdmin):
    """Append-only like the trail: added and viewed, never edited (a correction is a new assessment);
    only superusers delete. Saved through the service, with the person adding it as the assessor."""

    form = AssessmentAdminForm
    list_display = ["commitment", "party", "round", "score_label", "assessor", "assessed_on"]
    list_filter = ["round__dialogue", "party", ScoreListFilter]
    list_select_related = ["commitment", "round", "assessor"]
    search_fields = ["rationale", "commitment__title"]
    autocomplete_fields = ["commitment", "round"]
    date_hierarchy = "assessed_on"
    inlines = [AssessmentEvidenceInline]

    def save_formset(self, request, form, formset, change):
        attach_inline_files(request, form, formset, assessment=form.instance)

    @admin.display(description=_("score"), ordering="score")
    def score_label(self, obj):
        return obj.score_label

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return request.user.is_superuser

    def save_model(self, request, obj, form, change):
        created = services.assessment_create(
            commitment=obj.commitment,
            round=obj.round,
            party=obj.party,
            score=obj.score,
            rationale=obj.rationale,
            evidence=obj.evidence,
            assessed_on=obj.assessed_on,
            assessor=request.user,
        )
        obj.pk, obj.assessor, obj.created_at = created.pk, created.assessor, created.created_at


@admin.register(APIToken)
class APITokenAdmin(admin.ModelAdmin):
    """Every person's API tokens, to see and to revoke; never their hash, and never added here (a
    token is made by its owner, on their "API tokens" page, where its text is shown once)."""

    list_display = [
        "name",
        "user",
        "prefix_label",
        "scope",
        "created_at",
        "expires_on",
        "last_used_at",
        "state",
    ]
    list_filter = ["scope", ("revoked_at", admin.EmptyFieldListFilter), "expires_on"]
    list_select_related = ["user", "revoked_by"]
    search_fields = ["name", "prefix", "user__username"]
    fields = [
        "name",
        "user",
        "prefix_label",
        "scope",
        "created_at",
        "expires_on",
        "last_used_at",
        "revoked_at",
        "revoked_by",
    ]
    readonly_fields = fields
    actions = ["revoke"]

    @admin.display(description=_("token starts"), ordering="prefix")
    def prefix_label(self, obj):
        return f"dct_{obj.prefix}…"

    @admin.display(description=_("state"))
    def state(self, obj):
        return obj.state

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        # Revoked, not deleted: the record of who revoked it, and when, stays.
        return False

    @admin.action(description=_("Revoke the selected tokens"), permissions=["change"])
    def revoke(self, request, queryset):
        revoked = 0
        for token in queryset.filter(revoked_at__isnull=True):
            api_token_revoke(token=token, by=request.user)
            self.log_change(request, token, _("Revoked."))
            revoked += 1
        self.message_user(request, _("%(count)s token(s) revoked.") % {"count": revoked}, messages.SUCCESS)


# --- follows and the weekly digest: preferences and a log, to look at more than to edit ------------


# What the pages call each kind (a theme is an "objective" to its readers).
FOLLOW_KIND_LABELS = {
    "dialogue": _("dialogue"),
    "theme": _("objective"),
    "agency": _("agency"),
    "commitment": _("commitment"),
}


class FollowKindFilter(admin.SimpleListFilter):
    """By what is followed: the kind is which of the four keys is set, not a column of its own."""

    title = _("kind")
    parameter_name = "kind"

    def lookups(self, request, model_admin):
        return [(kind, FOLLOW_KIND_LABELS[kind]) for kind in FOLLOWABLE]

    def queryset(self, request, queryset):
        if self.value() in FOLLOWABLE:
            return queryset.filter(**{f"{self.value()}__isnull": False})
        return queryset


@admin.register(Follow)
class FollowAdmin(admin.ModelAdmin):
    """Who follows what. Read-only: a person follows with the Follow buttons, and an agency's staff
    are made to follow it with the agency's action; removing a follow here is allowed (a departed
    colleague's, say)."""

    list_display = ["user", "kind_label", "target_label", "created_at"]
    list_filter = [FollowKindFilter]
    list_select_related = ["user", *FOLLOWABLE]
    search_fields = ["user__username"]
    fields = ["user", "kind_label", "target_label", "created_at"]
    readonly_fields = fields
    date_hierarchy = "created_at"

    @admin.display(description=_("kind"))
    def kind_label(self, obj):
        return FOLLOW_KIND_LABELS[obj.kind]

    @admin.display(description=_("followed"))
    def target_label(self, obj):
        return obj.target

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(FollowVisit)
class FollowVisitAdmin(admin.ModelAdmin):
    """When each person last opened "What I follow" (where their header's count of news starts)."""

    list_display = ["user", "seen_at"]
    list_select_related = ["user"]
    search_fields = ["user__username"]
    fields = ["user", "seen_at"]
    readonly_fields = fields

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(DigestSubscription)
class DigestSubscriptionAdmin(admin.ModelAdmin):
    """Who turned the weekly digest off (no row means it is on). The toggle is editable, in the list
    too, for a person who asks an administrator; the person themselves uses "What I follow"."""

    list_display = ["user", "digest_enabled", "changed_at"]
    list_editable = ["digest_enabled"]
    list_filter = ["digest_enabled"]
    list_select_related = ["user"]
    search_fields = ["user__username", "user__email"]
    fields = ["user", "digest_enabled", "changed_at"]
    raw_id_fields = ["user"]

    def get_readonly_fields(self, request, obj=None):
        # Whose choice it is never changes; only the choice does.
        return ["user", "changed_at"] if obj else ["changed_at"]

    def save_model(self, request, obj, form, change):
        # Through the service, like the person's own toggle and the unsubscribe link.
        saved = digest_subscription_set(user=obj.user, enabled=obj.digest_enabled)
        obj.pk, obj.changed_at = saved.pk, saved.changed_at


@admin.register(DigestSent)
class DigestSentAdmin(admin.ModelAdmin):
    """The log of weekly digests: one row per person and ISO week, written by send_digests. Read-only;
    deleting a row lets the next run send that week's digest again (after a refused address was
    fixed, say)."""

    list_display = ["user", "week", "status", "items", "attempts", "claimed_at", "sent_at"]
    list_filter = ["status", "week"]
    list_select_related = ["user"]
    search_fields = ["user__username", "address", "week"]
    fields = ["user", "week", "status", "address", "items", "attempts", "claimed_at", "sent_at", "error"]
    readonly_fields = fields

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
