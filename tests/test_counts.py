"""The maintained counts (tracker/counts.py) and each commitment's countries (tracker/commitment_countries.py)
always equal a full recount, whatever writes the data."""

import itertools
from collections import Counter

import pytest
from django.core.management import call_command
from django.db import connection, transaction
from django.db.models import Count, ProtectedError
from django.http import QueryDict
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.factories import make_agency, make_commitment, make_dialogue, make_theme, reason_for
from tests.test_admin import admin_url, commitment_form_data
from tracker import commitment_countries, counts, services
from tracker.models import (
    ANY_DIALOGUE,
    Agency,
    Commitment,
    CommitmentCount,
    CommitmentCountry,
    Dialogue,
    Participation,
    Role,
    Status,
    Theme,
)
from tracker.rules import SLIP_STATUSES, SlipReason
from tracker.selectors.commitment_list import CommitmentBrowser
from tracker.selectors.overview import theme_counts, theme_links_as_of

COUNTRIES = ["US", "FR", "GB"]
# Names and slugs made here are numbered from one counter: counting rows would repeat a deleted one's.
SERIAL = itertools.count(1000)
STATUSES = list(Status.values)


def recount() -> dict[tuple, tuple[int, int]]:
    """Every non-zero count computed afresh from the rows, in Python: (dimension, code, dialogue id,
    status) → (commitments, summed progress). Countries count a commitment once."""
    found: Counter = Counter()
    progress: Counter = Counter()
    state = {
        pk: (dialogue_id, status, value, reason)
        for pk, dialogue_id, status, value, reason in Commitment.objects.values_list(
            "pk", "dialogue_id", "status", "progress", "slip_reason"
        )
    }

    def count(dimension, code, commitment_id):
        dialogue_id, status, value, _reason = state[commitment_id]
        found[(dimension, str(code), dialogue_id, status)] += 1
        progress[(dimension, str(code), dialogue_id, status)] += value

    for pk, (_dialogue, _status, _value, reason) in state.items():
        count("all", "", pk)
        if reason:
            count("reason", reason, pk)
    for theme_id, commitment_id in Commitment.themes.through.objects.values_list("theme_id", "commitment_id"):
        count("theme", theme_id, commitment_id)
    participations = list(Participation.objects.values_list("agency_id", "country", "commitment_id"))
    for agency_id, _country, commitment_id in participations:
        count("agency", agency_id, commitment_id)
    for country, commitment_id in {(country, pk) for _agency, country, pk in participations}:
        count("country", country, commitment_id)
    # Every count again for any dialogue (models.ANY_DIALOGUE).
    for (dimension, code, _dialogue, status), n in list(found.items()):
        found[(dimension, code, ANY_DIALOGUE, status)] += n
        progress[(dimension, code, ANY_DIALOGUE, status)] += progress[(dimension, code, _dialogue, status)]
    return {key: (n, progress[key]) for key, n in found.items()}


def stored() -> dict[tuple, tuple[int, int]]:
    """The table's non-zero rows, keyed as recount() keys them."""
    rows = CommitmentCount.objects.exclude(n=0).values_list(
        "dimension", "code", "dialogue_id", "status", "n", "progress_sum"
    )
    return {(dimension, code, d, status): (n, total) for dimension, code, d, status, n, total in rows}


def assert_counts_are_a_recount():
    assert not CommitmentCount.objects.filter(n__lt=0).exists()
    assert stored() == recount()
    assert_countries_are_a_recount()


def assert_countries_are_a_recount():
    """Each commitment's countries (tracker/commitment_countries.py) are its participations' distinct
    countries, one row each."""
    rows = list(CommitmentCountry.objects.values_list("commitment_id", "country"))
    assert len(rows) == len(set(rows))
    assert set(rows) == set(Participation.objects.values_list("commitment_id", "country"))


# --- the writes, each a function of the data there and a few numbers Hypothesis picks


def pick(queryset, i):
    rows = list(queryset.order_by("pk"))
    return rows[i % len(rows)] if rows else None


def status_and_reason(i):
    status = STATUSES[i % len(STATUSES)]
    return status, (SlipReason.values[i % len(SlipReason.values)] if status in SLIP_STATUSES else "")


def create_commitment(a, b, c, **_):
    themes = [t for i, t in enumerate(Theme.objects.order_by("pk")) if b >> i & 1]
    agencies = [x for i, x in enumerate(Agency.objects.order_by("pk")) if c >> i & 1]
    make_commitment(
        pick(Dialogue.objects.all(), a), themes=themes, agencies=agencies, slug=f"c{next(SERIAL)}"
    )


def post_status_update(a, b, c, editor, **_):
    status, _reason = status_and_reason(b)
    services.status_update_create(
        commitment=pick(Commitment.objects.all(), a),
        author=editor,
        status=status,
        progress=c % 101,
        text=f"Update {a} {b} {c}.",
        **reason_for(status),
    )


def save_state_directly(a, b, c, **_):
    commitment = pick(Commitment.objects.all(), a)
    commitment.status, commitment.slip_reason = status_and_reason(b)
    commitment.progress = c % 101
    commitment.save()


def update_queryset(a, b, c, **_):
    status, reason = status_and_reason(b)
    Commitment.objects.filter(dialogue=pick(Dialogue.objects.all(), a)).update(
        status=status, progress=c % 101, slip_reason=reason
    )


def move_to_another_dialogue(a, b, **_):
    commitment = pick(Commitment.objects.all(), a)
    commitment.dialogue = pick(Dialogue.objects.all(), b)
    commitment.save()


def add_theme(a, b, **_):
    pick(Commitment.objects.all(), a).themes.add(pick(Theme.objects.all(), b))


def remove_theme(a, b, **_):
    commitment = pick(Commitment.objects.all(), a)
    theme = pick(commitment.themes.all(), b)
    if theme:
        commitment.themes.remove(theme)


def add_participation(a, b, **_):
    Participation.objects.get_or_create(
        commitment=pick(Commitment.objects.all(), a), agency=pick(Agency.objects.all(), b)
    )


def add_participations_in_bulk(a, b, c, **_):
    """Several agencies in one INSERT (countries shared among them), as the spreadsheet import does."""
    commitment = pick(Commitment.objects.all(), a)
    taken = set(commitment.participations.values_list("agency_id", flat=True))
    agencies = [
        x for i, x in enumerate(Agency.objects.order_by("pk")) if (b ^ c) >> i & 1 and x.pk not in taken
    ]
    Participation.objects.bulk_create(
        [
            Participation(commitment=commitment, agency=x, country=x.country, role=Role.PARTNER)
            for x in agencies
        ]
    )


def remove_participation(a, b, **_):
    participation = pick(Participation.objects.filter(commitment=pick(Commitment.objects.all(), a)), b)
    if participation:
        participation.delete()


def remove_participations_in_bulk(a, **_):
    Participation.objects.filter(commitment=pick(Commitment.objects.all(), a)).delete()


def change_participations_agency(a, b, **_):
    participation = pick(Participation.objects.all(), a)
    agency = pick(Agency.objects.all(), b)
    if (
        participation
        and not Participation.objects.filter(commitment=participation.commitment, agency=agency).exists()
    ):
        participation.agency = agency
        participation.save()


def move_agency_to_another_country(a, b, **_):
    agency = pick(Agency.objects.all(), a)
    agency.country = COUNTRIES[b % len(COUNTRIES)]
    agency.save()


def delete_commitment(a, **_):
    if Commitment.objects.count() == 1:
        return  # the last one stays: every other kind of write needs a commitment to write to
    try:
        pick(Commitment.objects.all(), a).delete()
    except ProtectedError:
        pass  # it has updates or sub-commitments: the trail is kept


def delete_theme(a, **_):
    theme = pick(Theme.objects.all(), a)
    theme.delete()
    make_theme(theme.dialogue, name=f"Objective {next(SERIAL)}")


def delete_agency(a, b, **_):
    agency = pick(Agency.objects.all(), a)
    agency.participations.all().delete()
    agency.delete()
    make_agency(name=f"Agency {next(SERIAL)}", country=COUNTRIES[b % len(COUNTRIES)])


def delete_dialogue(a, b, c, **_):
    """A dialogue of its own with commitments, themes and agencies' parts, deleted with all of them."""
    serial = next(SERIAL)
    dialogue = make_dialogue(name=f"Dialogue {serial}", slug=f"d{serial}")
    theme = make_theme(dialogue, name=f"Objective {serial}")
    for i in range(1 + a % 3):
        make_commitment(dialogue, themes=[theme], agencies=list(Agency.objects.all()[: b % 4]), slug=f"d{i}")
    Commitment.objects.filter(dialogue=dialogue).delete()
    Theme.objects.filter(dialogue=dialogue).delete()
    dialogue.delete()


def edit_in_the_admin(a, b, c, admin_client, **_):
    """The admin's change form: another dialogue, other themes and an agency added inline."""
    commitment = pick(Commitment.objects.all(), a)
    data = commitment_form_data(admin_client, commitment)
    data["dialogue"] = pick(Dialogue.objects.all(), b).pk
    data["themes"] = [t.pk for i, t in enumerate(Theme.objects.order_by("pk")) if c >> i & 1]
    agency = pick(Agency.objects.exclude(participations__commitment=commitment), c)
    if agency:
        data |= {
            "participations-TOTAL_FORMS": 1,
            "participations-0-agency": agency.pk,
            "participations-0-role": Role.LEAD,
            "participations-0-commitment": commitment.pk,
        }
    response = admin_client.post(admin_url(Commitment, "change", commitment.pk), data)
    assert response.status_code == 302, response.context["adminform"].form.errors


WRITES = [
    create_commitment,
    post_status_update,
    save_state_directly,
    update_queryset,
    move_to_another_dialogue,
    add_theme,
    remove_theme,
    add_participation,
    add_participations_in_bulk,
    remove_participation,
    remove_participations_in_bulk,
    change_participations_agency,
    move_agency_to_another_country,
    delete_commitment,
    delete_theme,
    delete_agency,
    delete_dialogue,
    edit_in_the_admin,
]

NUMBER = st.integers(min_value=0, max_value=63)


@pytest.fixture
def small_world(db):
    dialogues = [make_dialogue(slug="d-one"), make_dialogue(slug="d-two")]
    themes = [make_theme(dialogues[i % 2]) for i in range(3)]
    agencies = [make_agency(country=COUNTRIES[i % 3]) for i in range(5)]
    for i in range(4):
        make_commitment(dialogues[i % 2], themes=themes[i % 3 :], agencies=agencies[i % 2 :: 2], slug=f"w{i}")


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(writes=st.lists(st.tuples(st.sampled_from(WRITES), NUMBER, NUMBER, NUMBER), min_size=1, max_size=12))
def test_counts_equal_a_recount_after_any_writes(small_world, admin_client, editor, writes):
    # Each example starts from the small world: its writes are undone after it.
    with transaction.atomic():
        for write, a, b, c in writes:
            write(a=a, b=b, c=c, editor=editor, admin_client=admin_client)
        assert_counts_are_a_recount()
        transaction.set_rollback(True)


@pytest.mark.parametrize("write", WRITES, ids=lambda w: w.__name__)
def test_each_kind_of_write_keeps_the_counts(small_world, admin_client, editor, write):
    write(a=1, b=2, c=7, editor=editor, admin_client=admin_client)
    assert_counts_are_a_recount()


def test_the_counting_triggers_are_installed(db):
    """A migration that remakes tracker_commitment, its theme links or the participations on SQLite
    drops their triggers: it must call counts.install again (see tracker/counts.py)."""
    assert counts.installed_triggers(connection) == counts.expected_triggers(connection)


def test_the_triggers_keeping_each_commitments_countries_are_installed(db):
    """Likewise for each commitment's countries (see tracker/commitment_countries.py)."""
    assert commitment_countries.installed_triggers(connection) == commitment_countries.expected_triggers(
        connection
    )


def test_install_fills_each_commitments_countries_from_the_data_there(small_world):
    CommitmentCountry.objects.all().delete()
    with connection.cursor() as cursor:
        for statement in commitment_countries.install_statements(connection.vendor == "postgresql"):
            cursor.execute(statement)
    assert CommitmentCountry.objects.exists()
    assert_countries_are_a_recount()


def test_install_fills_the_counts_from_the_data_there(small_world, editor):
    post_status_update(0, 2, 40, editor=editor)
    CommitmentCount.objects.all().delete()
    with connection.cursor() as cursor:
        for statement in counts.install_statements(connection.vendor == "postgresql"):
            cursor.execute(statement)
    assert_counts_are_a_recount()


def test_two_agencies_of_one_country_written_in_one_statement_count_the_commitment_once(db):
    commitment = make_commitment(slug="one-country")
    agencies = [make_agency(name=f"Agency {i}", country="FR") for i in range(2)]
    Participation.objects.bulk_create(
        [Participation(commitment=commitment, agency=agency, country="FR") for agency in agencies]
    )
    assert (
        CommitmentCount.objects.get(dimension="country", code="FR", dialogue_id=commitment.dialogue_id).n == 1
    )
    assert list(CommitmentCountry.objects.values_list("commitment_id", "country")) == [(commitment.pk, "FR")]
    Participation.objects.filter(commitment=commitment).update(country="GB")
    assert_counts_are_a_recount()
    Participation.objects.filter(commitment=commitment).delete()
    assert_counts_are_a_recount()


def facets_of(query: str, maintained: bool) -> list:
    browser = CommitmentBrowser(QueryDict(query), page_size=10)
    if not maintained:
        # Every facet recounted from the commitments (none read from the maintained counts), by the
        # query built for this browser (the compiled one is built by another: see _compiled_facet_query).
        browser._maintained_counts_answer = lambda kind=None: False
        browser._facet_shape = lambda ids: None
    return [
        (f.name, [(o.value, o.count, o.selected) for o in f.options], f.unknown)
        for f in browser._count_facets()
    ]


@pytest.mark.parametrize(
    "query",
    [
        "",
        "status=on_track",
        "status=on_track&status=at_risk",
        "dialogue=d-one",
        "dialogue=d-two&status=at_risk",
        # Other filters: the facet of the one filter in force reads the maintained counts, the rest count.
        "theme=objective-1",
        "agency=agency-1&status=on_track",
        "country=FR&dialogue=d-one",
        "reason=funding",
        # One theme, agency, country or reason besides status and dialogue: statuses and dialogues
        # are read from its counts too; two values of one filter, or two filters, are counted.
        "theme=objective-1&status=at_risk",
        "agency=agency-1&dialogue=d-two",
        "country=FR",
        "reason=funding&status=at_risk",
        "theme=no-such-theme",
        "theme=objective-1&theme=objective-2",
        "theme=objective-1&agency=agency-1",
        # A role narrows the agencies and countries counted: they are counted.
        "agency=agency-1&role=lead",
    ],
)
def test_the_facets_read_from_the_counts_are_those_counted(small_world, editor, query):
    for a, b, c in [(0, 1, 30), (1, 2, 60), (2, 3, 10), (3, 1, 90)]:
        post_status_update(a=a, b=b, c=c, editor=editor)
    assert facets_of(query, maintained=True) == facets_of(query, maintained=False)


def test_the_overviews_cards_read_from_the_counts_are_those_counted(small_world, editor):
    post_status_update(a=0, b=1, c=30, editor=editor)
    for dialogue_id in (None, *Dialogue.objects.values_list("pk", flat=True)):
        maintained = theme_counts(None, dialogue_id)
        # What the overview counted before the maintained counts, today: the theme links grouped.
        rows = theme_links_as_of(None, dialogue_id).values("theme_id", "state_status").annotate(n=Count("pk"))
        assert maintained[0] == Counter({(r["theme_id"], r["state_status"]): r["n"] for r in rows})


@pytest.mark.django_db(transaction=True)
def test_a_flushed_database_keeps_no_counts(small_world):
    """Flush empties SQLite's tables one by one in no set order, and a commitment's delete trigger may
    write into counts already emptied: whatever the order, nothing is left to mislead the next test."""
    call_command("flush", interactive=False, verbosity=0)
    assert not CommitmentCount.objects.exists()
    assert not CommitmentCountry.objects.exists()
