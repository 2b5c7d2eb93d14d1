"""Small pieces of markup repeated on every row. Simple tags rather than {% include %}s because a
list renders hundreds of them, and an include costs a template lookup and a context each time.
format_html escapes every value."""

import datetime
import functools
from html import escape
from typing import NamedTuple

from django import template
from django.conf import settings
from django.template.defaultfilters import filesizeformat
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe
from django.utils.translation import gettext

from .. import formatting, links
from ..models import ScoreDisplay, score_display
from ..rules import CLOSED_STATUSES, UNASSESSED, SlipReason, Status

register = template.Library()


# The status in words on its colour: never colour alone. Filled in by status_badge and the trail.
STATUS_BADGE = '<span class="status status-{0}">{1}</span>'


# Each status's label (translated when written): get_status_display() rebuilds the choices' dict
# on every call, four times the cost of the badge itself (0.5 ms for the overview's 18).
STATUS_LABELS = dict(Status.choices)


@register.simple_tag
def status_badge(item):
    return format_html(STATUS_BADGE, item.status, status_label(item.status))


# Blocked is marked with a symbol as well as the word: the flags' colours alone would not tell it.
BLOCKED_FLAG = '<span class="flag flag-blocked"><span aria-hidden="true">⊘</span> {}</span>'


@register.simple_tag
def flags(commitment):
    """Overdue, stale and (where the rows were read with `.with_blocked(day)`) blocked."""
    shown = [
        ("overdue", gettext("Overdue"), commitment.is_overdue),
        ("stale", gettext("Stale"), commitment.is_stale),
    ]
    markup = format_html_join(
        " ", '<span class="flag flag-{}">{}</span>', ((k, t) for k, t, on in shown if on)
    )
    if not getattr(commitment, "is_blocked", False):
        return markup
    blocked = format_html(BLOCKED_FLAG, gettext("Blocked"))
    return format_html("{} {}", markup, blocked) if markup else blocked


# --- compliance scores --------------------------------------------------------------------------


@register.simple_tag
def score_of(assessment) -> ScoreDisplay:
    """`{% score_of assessment as score %}`: how an assessment's score shows; "Not assessed"
    without one (None or ""). As written once for the commitment page (`shown_score`) when it was."""
    shown = getattr(assessment, "shown_score", None)
    return shown or score_display(assessment.cell if assessment else UNASSESSED)


@register.filter
def status_label(value: str) -> str:
    """A status value in words: `{{ update.status|status_label }}`, one translation where
    get_status_display() makes one per status, on every call (a page of changes lists a thousand)."""
    return STATUS_LABELS.get(value, value)


@register.filter
def percent(value, decimals=0) -> str:
    """A percentage in the reader's language: "12.5%" in English, "12,5 %" in French (the sign's
    spacing is PERCENT_FORMAT in config/formats/<language>/formats.py); a dash for none."""
    return formatting.percent(value, decimals)


@register.filter(expects_localtime=True, is_safe=False)
def local_date(value, name="SHORT_DATE_FORMAT") -> str:
    """`{{ day|local_date:"CHART_MONTH_FORMAT" }}`: |date for the tracker's own named formats as well
    as Django's (config/formats/<language>/formats.py), so French months read "juin", "juil."."""
    try:
        return formatting.local_date(value, name)
    except (AttributeError, TypeError, ValueError):
        return ""


@register.filter
def colon(label) -> str:
    """`{{ label|colon }} {{ value }}`: a label and the colon its language puts after it ("Status:",
    "Statut :", with a no-break space, as French typography wants)."""
    return formatting.colon(label)


@register.simple_tag
def progress_bar(value, label=None):
    shown = percent(value)
    return format_html(
        '<div class="progress-line"><progress max="100" value="{}" aria-label="{}">{}</progress>'
        "<span>{}</span></div>",
        value,
        label or gettext("Progress"),
        shown,
        shown,
    )


def escaped_markup(pieces) -> str:
    """Each (template, values) piece filled in, every value escaped: the one place we mark text safe.

    For the facet lists (a few hundred options on every list page) and long trails: format_html()
    checks each value for lazy strings on the way to escaping it, which costs milliseconds at that
    count, where the standard library's escape (the same five characters) does not.
    """
    markup = "".join(template.format(*(_escaped(value) for value in values)) for template, values in pieces)
    return mark_safe(markup)  # noqa: S308 -- every value above is escaped


def _escaped(value) -> str | int:
    # An int's digits need no escaping (a facet's counts: two on each of hundreds of options).
    return value if type(value) is int else escape(str(value))


# How many commitments an option would match; the out-of-band copy replaces it after an htmx request.
# Its marks (no commitment to match; out of band) are written into the templates below, one for each
# case, rather than escaped as values on each of hundreds of options; `count` is the count's place.
FACET_COUNT = '<span class="count{empty}" id="count-{{0}}-{{1}}"{oob}>{{{count}}}</span>'
EMPTY = {False: "", True: " empty"}
# An option with its count, filled in one piece, by whether it is chosen and whether it is empty.
FACET_OPTIONS = {
    (selected, empty): '<label class="option"><input type="checkbox" name="{0}" value="{1}"'
    + (" checked" if selected else "")
    + "> {2} "
    + FACET_COUNT.format(empty=EMPTY[empty], oob="", count=3)
    + "</label>\n"
    for selected in (False, True)
    for empty in (False, True)
}
FACET_COUNTS_OUT_OF_BAND = {
    empty: FACET_COUNT.format(empty=EMPTY[empty], oob=' hx-swap-oob="true"', count=2)
    for empty in (False, True)
}


def _counts(facet):
    return (
        (FACET_COUNTS_OUT_OF_BAND[not option.count], (facet.name, option.value, option.count))
        for option in facet.options
    )


TRAIL_ENTRY = '<li id="update-{0}">'
TRAIL_ENTRY_WITHDRAWN = '<li id="update-{0}" class="withdrawn"><del datetime="{1}">'
# "Reported for <date> · recorded <date and time> by <name>": the day the update describes, and when
# it was written down (a back-dated report shows as such).
TRAIL_META = (
    '<p class="meta">{0} <time datetime="{1}">{2}</time> · {3} <time datetime="{4}">{5}</time> {6} {7}</p><p>'
)
TRAIL_PROGRESS = ' {0}</p><p class="update-text">{1}</p>'
TRAIL_REASON = '<p class="reason"><strong>{0}</strong> {1}</p>'
TRAIL_REASON_NOTE = '<p class="reason"><strong>{0}</strong> {1} — {2}</p>'
EVIDENCE = '<p class="evidence">{0} <a href="{1}" rel="noopener noreferrer">{1}</a></p>'
# Files the update carries: each a download through the evidence view, with its name and size.
EVIDENCE_FILES_START = '<ul class="evidence-files" aria-label="{0}">'
EVIDENCE_FILE = '<li><a href="{0}" download>{1}</a> <span class="muted">({2})</span></li>'
TRAIL_WITHDRAWAL = '</del><p class="withdrawal"><strong>{0}</strong> {1}</p>'
# The withdraw and restore forms, only on the uncached trail of someone who may use them (TrailControls).
MEND_START = '<details class="mend"><summary>{0}</summary>'
MEND_START_OPEN = '<details class="mend" open><summary>{0}</summary>'
MEND_FORM = (
    '<form method="post" action="{0}" hx-post="{0}" hx-target="#trail" hx-swap="outerHTML">'
    '<input type="hidden" name="csrfmiddlewaretoken" value="{1}"><label for="reason-{2}">{3}</label>'
)
MEND_ERROR = '<ul class="errorlist" id="reason-{0}-error"><li>{1}</li></ul>'
MEND_REASON = '<textarea id="reason-{0}" name="reason" rows="2" maxlength="2000" required>{1}</textarea>'
MEND_REASON_INVALID = (
    '<textarea id="reason-{0}" name="reason" rows="2" maxlength="2000" required aria-invalid="true"'
    ' aria-describedby="reason-{0}-error">{1}</textarea>'
)
MEND_END = '<button type="submit" class="button">{0}</button></form></details>'


def _local_time(moment, write) -> tuple[str, str]:
    """`moment` in the site's time zone: for <time datetime>, and as `write` (a formatting.date_writer) writes it."""
    local = timezone.localtime(moment)
    # Whole seconds: HTML's datetime allows at most three digits of a fraction, Python writes six.
    return local.isoformat(timespec="seconds"), write(local)


class WrittenEntry(NamedTuple):
    """One update of a trail as written_trail writes it: its list item but the closing tag, and what
    decides whether someone may withdraw or restore it (the form trail_entries adds for them)."""

    pk: int
    commitment_id: int
    author_id: int | None
    withdrawn_at: bool  # named as the update's field: TrailControls and mend_pieces read it
    markup: str


def written_trail(updates) -> list[WrittenEntry]:
    """A commitment's status updates (a busy commitment has hundreds) written once as the same list
    items for everyone: a page keeps them with its cached parts (CommitmentPage.written_trail), and
    trail_entries adds each reader's withdraw and restore forms between them. The text keeps its line
    breaks through CSS (white-space: pre-line), so it needs nothing but escaping. A withdrawn update
    stays, struck through, with who withdrew it, when and why."""
    words = {
        "reported": gettext("Reported for"),
        "recorded": gettext("recorded"),
        "by": gettext("by"),
        "evidence": gettext("Evidence:"),
        "files": gettext("Evidence files"),
        "withdrawn": gettext("Withdrawn"),
        "reason": gettext("Why it slipped:"),
    }

    # Each label translated once per trail: get_status_display() costs far more, per update.
    labels = {value: str(label) for value, label in Status.choices}
    reasons = {value: str(label) for value, label in SlipReason.choices}
    # Each date format read once per trail, not once per date; each progress written once (they repeat).
    write_reported = formatting.date_writer("j F Y")
    write_recorded = formatting.date_writer("LONG_DATETIME_FORMAT")
    write_percent = functools.cache(percent)

    def pieces(update):
        recorded_iso, recorded = _local_time(update.created_at, write_recorded)
        if update.withdrawn_at:
            yield TRAIL_ENTRY_WITHDRAWN, (update.pk, update.withdrawn_at.isoformat())
        else:
            yield TRAIL_ENTRY, (update.pk,)
        yield (
            TRAIL_META,
            (
                words["reported"],
                update.reported_on.isoformat(),
                write_reported(update.reported_on),
                words["recorded"],
                recorded_iso,
                recorded,
                words["by"],
                formatting.person(update.author),
            ),
        )
        yield STATUS_BADGE, (update.status, labels.get(update.status, update.status))
        yield TRAIL_PROGRESS, (write_percent(update.progress), update.text)
        if update.reason:
            reason = reasons.get(update.reason, update.reason)
            if update.reason_note:
                yield TRAIL_REASON_NOTE, (words["reason"], reason, update.reason_note)
            else:
                yield TRAIL_REASON, (words["reason"], reason)
        if update.evidence_url:
            yield EVIDENCE, (words["evidence"], update.evidence_url)
        # Attached with the trail (selectors.commitment.attach_files, or commitment_trail for htmx): no query per update.
        files = update.attached_files
        if files:
            yield EVIDENCE_FILES_START, (words["files"],)
            for evidence in files:
                size = filesizeformat(evidence.size)
                yield EVIDENCE_FILE, (evidence.get_absolute_url(), evidence.original_name, size)
            yield "</ul>", ()
        if update.withdrawn_at:
            yield (
                TRAIL_WITHDRAWAL,
                (
                    words["withdrawn"],
                    gettext("on %(when)s by %(who)s: %(reason)s")
                    % {
                        "when": _local_time(update.withdrawn_at, write_recorded)[1],
                        "who": formatting.person(update.withdrawn_by),
                        "reason": update.withdrawal_reason,
                    },
                ),
            )

    return [
        WrittenEntry(
            update.pk,
            update.commitment_id,
            update.author_id,
            bool(update.withdrawn_at),
            escaped_markup(pieces(update)),
        )
        for update in updates
    ]


@register.simple_tag
def trail_entries(updates, controls=None):
    """A commitment's status updates as list items: `updates` as written_trail wrote them, or the
    updates themselves (written here). `controls` (a TrailControls, never on a trail shared by
    everyone) adds the withdraw or restore form to each update its user may withdraw or restore."""
    entries = list(updates)  # read once (a trail's queryset is usually read already, by {% if %})
    if entries and not isinstance(entries[0], WrittenEntry):
        entries = written_trail(entries)
    if not (controls and entries):
        # Each entry's markup is safe already (escaped_markup): format_html_join keeps it as it is.
        return format_html_join("", "{}</li>", ((entry.markup,) for entry in entries))
    mend_words = {
        "withdraw": (
            gettext("Withdraw…"),
            gettext("Why withdraw it? (It stays in the record, struck through.)"),
            gettext("Withdraw this update"),
        ),
        "restore": (gettext("Restore…"), gettext("Why restore it?"), gettext("Restore this update")),
    }
    # Each form's address from its pattern reversed once per trail (a trail is one commitment's), not
    # once per update: a reverse() each was a fifth of an editor's trail of 50.
    mend_urls = {
        action: links.id_reverser(f"tracker:statusupdate_{action}", entries[0].commitment_id)
        for action in ("withdraw", "restore")
    }

    def pieces(entry):
        if controls.allows(entry):
            yield from mend_pieces(entry, controls, mend_words, mend_urls)
        yield "</li>", ()

    return format_html_join("", "{}{}", ((entry.markup, escaped_markup(pieces(entry))) for entry in entries))


def mend_pieces(update, controls, words, urls):
    action = "restore" if update.withdrawn_at else "withdraw"
    summary, label, button = words[action]
    url = urls[action](update.pk)
    error = controls.errors.get(update.pk)
    yield (MEND_START_OPEN if error else MEND_START), (summary,)
    yield MEND_FORM, (url, controls.csrf_token, update.pk, label)
    if error:
        yield MEND_ERROR, (update.pk, error)
        yield MEND_REASON_INVALID, (update.pk, controls.reason)
    else:
        yield MEND_REASON, (update.pk, "")
    yield MEND_END, (button,)


@register.simple_tag
def facet_options(facet):
    """A facet's checkboxes, each with how many commitments it would match."""

    name = facet.name
    return escaped_markup(
        (FACET_OPTIONS[option.selected, not option.count], (name, option.value, option.label, option.count))
        for option in facet.options
    )


@register.simple_tag
def facet_counts_out_of_band(facets):
    """Every option's new count, for htmx to swap into the filter form that stays on the page."""
    return escaped_markup(piece for facet in facets for piece in _counts(facet))


def _as_of(context) -> datetime.date | None:
    return getattr(context.get("request"), "as_of", None)


@register.simple_tag(takes_context=True)
def dated(context, url: str) -> str:
    """`url` keeping the as-of date of the page it is on, so a link inside the past stays there."""
    return links.dated(url, _as_of(context))


@register.simple_tag(takes_context=True)
def dated_url(context, view_name: str, *args, **params) -> str:
    """The URL of `view_name` with `args`, query parameters `params` (empty ones left out) and the
    page's as-of date: `{% dated_url 'tracker:commitment_list' theme=theme.slug status=s.value %}`."""
    return links.dated(links.with_query(reverse(view_name, args=args), params), _as_of(context))


@register.simple_tag(takes_context=True)
def today_url(context) -> str:
    """This page for today: the same path and filters without the as-of date (nor the page number,
    which may not exist today)."""
    request = context["request"]
    params = request.GET.copy()
    for name in ("as_of", "page"):
        params.pop(name, None)
    return f"{request.path}?{params.urlencode()}" if params else request.path


@register.filter
def minutes(duration) -> int:
    """A timedelta as whole minutes, for messages such as the login lockout."""
    return int(duration.total_seconds() // 60) if duration else 0


@register.filter
def from_now(duration):
    """The local time `duration` from now: when a login lockout ends (django-axes counts its cool-off
    from the last failed attempt, which is the one that shows this page)."""
    # Whole seconds: HTML's datetime allows at most three digits of a fraction, Python writes six.
    return (timezone.localtime() + (duration or datetime.timedelta(0))).replace(microsecond=0)


@register.simple_tag
def due_soon_days() -> int:
    """How many days ahead "due soon" looks (TRACKER_DUE_SOON_DAYS), for the words that say so."""
    return settings.TRACKER_DUE_SOON_DAYS


@register.simple_tag
def next_review(commitment):
    """A commitment's next review date, marked when it has passed on the day the row is judged on
    (a late review is still due: see rules.py, "due soon"); a dash for a finished one, which has
    none. Needs the row's dialogue loaded."""
    if commitment.status in CLOSED_STATUSES:
        return "—"
    when = commitment.next_review_on
    shown = date_format(when, "SHORT_DATE_FORMAT")
    if when < (commitment.judged_on or timezone.localdate()):
        return format_html('<span class="review-late">{} ({})</span>', shown, gettext("late"))
    return shown


@register.inclusion_tag("tracker/components/_follow.html", takes_context=True)
def follow_button(context, kind: str, target, describedby: str = ""):
    """`{% follow_button "agency" agency %}`: the Follow / Unfollow button for `target`, in the
    state the request's FollowState gives (read with the header's count: no query of its own)."""
    from ..views.follows import follow_button_context  # the views import this module's package

    request = context["request"]
    following = context["follow_state"].follows(kind, target.pk)
    # Back to this page after a follow without JavaScript; not to a form's POST address (a page
    # shown again after a refused post), which would answer the redirect with 405: the thing's own page.
    next_url = request.get_full_path() if request.method == "GET" else ""
    return follow_button_context(request, kind, target.pk, following, next_url, describedby=describedby)
