"""Queries compiled once per shape (tracker/compiled.py): what compile_once accepts and refuses, and
that the list's compiled queries (facet counts, maintained counts, facet labels, the table's names)
answer exactly what the ORM builds for the same request."""

import datetime

import pytest
from django.db import connection
from django.http import QueryDict
from django.test.utils import CaptureQueriesContext

from tests.factories import make_agency, make_commitment, make_dialogue, make_theme
from tracker import caching, counts, services
from tracker.api import items
from tracker.compiled import compile_once
from tracker.models import Commitment, Dialogue, SlipReason, Status
from tracker.selectors import table
from tracker.selectors.commitment_list import (
    CommitmentBrowser,
    _compiled_facet_labels,
    _compiled_facet_query,
    facet_labels,
    facet_labels_query,
)


def titles_query(values):
    return Commitment.objects.filter(title__in=values[:2], announced_on__lte=values[2]).values_list("title")


def test_a_compiled_query_runs_with_the_values_given(db):
    make_commitment(title="Map the seabed")
    make_commitment(title="Launch a probe")
    compiled = compile_once(titles_query, [str, str, datetime.date])
    today = datetime.date.today()
    assert sorted(compiled.rows(["Map the seabed", "Nothing", today])) == [("Map the seabed",)]
    assert sorted(compiled.rows(["Launch a probe", "Map the seabed", today])) == [
        ("Launch a probe",),
        ("Map the seabed",),
    ]


def test_a_value_that_changes_the_sql_is_refused(db):
    def build(values):
        return (
            Commitment.objects.filter(title=values[0]) if values[1] > -7_350_000 else Commitment.objects.all()
        )

    with pytest.raises(RuntimeError):
        compile_once(build, [str, int])


def test_a_value_the_orm_transforms_is_refused(db):
    with pytest.raises(RuntimeError):
        compile_once(lambda values: Commitment.objects.filter(title=values[0].upper()), [str])


def test_a_value_the_query_does_not_read_is_refused_unless_optional(db):
    def build(values):
        return Commitment.objects.filter(title=values[0])

    with pytest.raises(RuntimeError):
        compile_once(build, [str, str])
    assert compile_once(build, [str, str], optional=[1]).rows(["x", "y"]) == []


@pytest.fixture
def world(db, editor):
    """Two dialogues with themes, agencies of three countries, and commitments in several states."""
    dialogues = [make_dialogue(slug="d-one"), make_dialogue(slug="d-two")]
    themes = [make_theme(dialogues[i % 2]) for i in range(3)]
    agencies = [make_agency(country=("US", "FR", "GB")[i % 3]) for i in range(5)]
    made = [
        make_commitment(dialogues[i % 2], themes=themes[i % 3 :], agencies=agencies[i % 2 :: 2], slug=f"w{i}")
        for i in range(6)
    ]
    states = [
        (Status.ON_TRACK, ""),
        (Status.AT_RISK, SlipReason.FUNDING),
        (Status.OFF_TRACK, SlipReason.LEGAL),
    ]
    for commitment, (status, reason) in zip(made, states, strict=False):
        services.status_update_create(
            commitment=commitment,
            author=editor,
            status=status,
            progress=20,
            text="News.",
            reported_on=datetime.date(2022, 1, 1),
            reason=reason,
        )
    made[0].blocked_by.add(made[2])
    return {"themes": themes, "agencies": agencies, "dialogues": dialogues}


def label_ids():
    labels = facet_labels()
    return {kind: {row.slug: row.pk for row in labels[kind]} for kind in ("dialogue", "theme", "agency")}


COMPILED_QUERIES = [
    "theme={t0}",
    "theme={t0}&status=at_risk",
    "agency={a0}&status=on_track",
    "agency={a0}&theme={t0}&status=on_track",
    "theme={t0}&theme={t1}",
    "dialogue=d-one&theme={t0}",
    "dialogue=nope&dialogue=d-two&theme={t1}&status=at_risk",
    "dialogue=nope&theme={t0}",
    "theme=no-such-theme",
    "agency=no-such-agency&status=at_risk",
    "country=FR",
    "country=FR&role=lead",
    "country=FR&country=GB&theme={t2}&dialogue=d-one&dialogue=d-two",
    "agency={a0}&agency={a1}&role=partner&dialogue=d-two",
    "reason=funding",
    "reason=legal&dialogue=d-one",
    "reason=funding&theme={t0}&status=at_risk",
    "theme={t0}&sort=title",
    # The text search: its one parameter is the database's query of the text's words.
    "q=seabed",
    "q=Map+SEABED&status=at_risk",
    "q=seabed&theme={t0}",
    "q=seabed&country=FR&role=lead&dialogue=d-one",
    "q=nothing+matches+this",
]


@pytest.mark.parametrize("query", COMPILED_QUERIES)
def test_the_compiled_facet_counts_are_those_the_orm_builds(world, query):
    slugs = {f"t{i}": theme.slug for i, theme in enumerate(world["themes"])}
    slugs |= {f"a{i}": agency.slug for i, agency in enumerate(world["agencies"])}
    browser = CommitmentBrowser(QueryDict(query.format(**slugs)), page_size=10)
    ids = label_ids()
    shape = browser._facet_shape(ids)
    assert shape is not None, "this request is one the compiled query answers"
    compiled = _compiled_facet_query(connection.vendor, shape).rows(browser._facet_values(ids, shape))
    assert sorted(compiled, key=repr) == sorted(browser._counted_query(ids), key=repr)


@pytest.mark.parametrize(
    "query",
    [
        "q=!!",
        "q=seabed&due=overdue",
        "due=overdue",
        "stale=1&theme={t0}",
        "blocked=1",
        "status=on_track&status=at_risk&theme={t0}",
        "theme={t0}&theme={t0}",
        "theme={t0}&as_of=2021-06-01",
        "&".join(f"theme=t{i}" for i in range(51)),
    ],
)
def test_requests_the_compiled_facet_query_cannot_answer_are_built_by_the_orm(world, query):
    theme = world["themes"][0].slug
    day = datetime.date(2021, 6, 1) if "as_of" in query else None
    browser = CommitmentBrowser(QueryDict(query.format(t0=theme)), page_size=10, day=day)
    assert browser._facet_shape(label_ids()) is None


@pytest.mark.parametrize(
    ("statuses", "dialogues"), [([], None), (["on_track"], None), (["at_risk", "off_track"], 2), ([], 1)]
)
def test_the_compiled_maintained_counts_are_those_the_orm_builds(world, statuses, dialogues):
    dialogue_ids = (
        None if dialogues is None else list(Dialogue.objects.values_list("pk", flat=True))[:dialogues]
    )
    compiled = counts._compiled_facet_counts(connection.vendor, len(statuses), dialogues)
    orm = counts.facet_counts_query(statuses, dialogue_ids)
    assert sorted(compiled.rows([*statuses, *(dialogue_ids or [])]), key=repr) == sorted(orm, key=repr)


def test_the_compiled_facet_labels_are_those_the_orm_builds(world):
    compiled = _compiled_facet_labels(connection.vendor).rows([])
    assert sorted(compiled, key=repr) == sorted(facet_labels_query(), key=repr)


@pytest.mark.parametrize("parts", [(True, True, True), (True, False, False), (False, True, True)])
def test_the_compiled_names_of_a_tables_rows_are_those_the_orm_builds(world, parts):
    ids = list(Commitment.objects.values_list("pk", flat=True))
    compiled = table._names_rows(ids, None, *parts)
    assert sorted(compiled, key=repr) == sorted(table._names_query(ids, None, *parts), key=repr)
    assert any(row[0] == "blocked" for row in compiled) == parts[2]


def test_a_table_longer_than_a_page_is_built_by_the_orm(world, monkeypatch):
    monkeypatch.setattr(table, "COMPILED_ROWS", 2)
    ids = list(Commitment.objects.values_list("pk", flat=True))
    table._compiled_names_query.cache_clear()
    rows = table._names_rows(ids, None, True, True, True)
    assert table._compiled_names_query.cache_info().currsize == 0
    assert sorted(rows, key=repr) == sorted(table._names_query(ids, None, True, True, True), key=repr)


def by_commitment_and_kind(rows) -> dict[tuple, list]:
    """Rows grouped as the API's items read them: the order within each group is the items' order."""
    groups: dict[tuple, list] = {}
    for row in rows:
        groups.setdefault((row[0], row[1]), []).append(row)
    return groups


def test_the_compiled_parts_of_the_apis_items_are_those_the_orm_builds(world):
    ids = list(Commitment.objects.values_list("pk", flat=True))
    compiled = items._parts_rows(ids, None)
    assert by_commitment_and_kind(compiled) == by_commitment_and_kind(items._parts_query(ids, None))
    assert {row[0] for row in compiled} == {"theme", "agency", "blocked"}


@pytest.mark.parametrize("who", ["viewer", "editor", "superuser", "given_one"])
def test_the_commitment_pages_reader_state_is_what_django_and_the_follows_say(
    request, who, django_user_model
):
    """selectors.reader_state (compiled once) reads the data's tokens (and those the commitment's page
    is filed under: the same as the page reads by itself), the permissions Django's ModelBackend reads, own and by group, and whether the person follows the commitment; primed on the user, has_perm()
    then answers as Django would, asking nothing more."""
    from django.contrib.auth.backends import ModelBackend
    from django.contrib.auth.models import Permission

    from tracker.models import Follow
    from tracker.roles import prime_permissions
    from tracker.selectors import CommitmentPage, reader_state

    if who == "given_one":
        user = request.getfixturevalue("viewer")
        user.user_permissions.add(Permission.objects.get(codename="add_assessment"))
    else:
        user = request.getfixturevalue(who)
    followed, other = make_commitment(title="Followed"), make_commitment(title="Not followed")
    Follow.objects.create(user=user, commitment=followed)
    fresh = django_user_model.objects.get(pk=user.pk)
    backend = ModelBackend()
    expected_own = backend.get_user_permissions(fresh) if not fresh.is_superuser else None
    expected_groups = backend.get_group_permissions(fresh) if not fresh.is_superuser else None
    state = reader_state(user.pk, followed.pk)
    assert state.following and not reader_state(user.pk, other.pk).following
    assert state.tokens == caching.data_tokens()
    page = CommitmentPage(followed.pk)
    page.prime_tokens(state)
    assert page.token == CommitmentPage(followed.pk).token == caching.scoped_token([page.scope])
    caching.trail_changed(followed.pk)  # the page's own scope gets a token of its own
    assert CommitmentPage(followed.pk).token != page.token
    state = reader_state(user.pk, followed.pk)
    page = CommitmentPage(followed.pk)
    page.prime_tokens(state)
    assert page.token == CommitmentPage(followed.pk).token
    if fresh.is_superuser:
        return  # has_perm() reads no permission for an active superuser: nothing is primed
    assert (state.own_permissions, state.group_permissions) == (expected_own, expected_groups)
    primed = django_user_model.objects.get(pk=user.pk)
    prime_permissions(primed, state.own_permissions, state.group_permissions)
    with CaptureQueriesContext(connection) as queries:
        answers = [
            primed.has_perm(p)
            for p in (
                "tracker.add_statusupdate",
                "tracker.add_assessment",
                "tracker.withdraw_any_statusupdate",
            )
        ]
    assert not queries.captured_queries
    assert answers == [
        fresh.has_perm(p)
        for p in ("tracker.add_statusupdate", "tracker.add_assessment", "tracker.withdraw_any_statusupdate")
    ]


def fields_of(instance) -> dict | None:
    return (
        None
        if instance is None
        else {f.attname: getattr(instance, f.attname) for f in instance._meta.concrete_fields}
    )


@pytest.mark.parametrize("day", [None, datetime.date(2022, 3, 1)])
def test_the_commitment_pages_compiled_trail_and_files_are_the_orms(day, editor, superuser):
    """selectors.commitment.trail_of and attach_files (compiled once, made from rows) give the same
    updates, authors, withdrawers and files, in the same order, as the ORM reads them."""
    from tracker.models import EvidenceFile, Round, StatusUpdate
    from tracker.selectors.commitment import attach_files, commitment_assessments, trail_of, trail_updates

    commitment, other = make_commitment(), make_commitment()
    updates = [
        StatusUpdate.objects.create(
            commitment=commitment,
            author=(editor, superuser)[n % 2],
            status=Status.ON_TRACK,
            progress=10 * n,
            text=f"Step {n}.",
            reported_on=datetime.date(2022, 1 + n, 1),
        )
        for n in range(4)
    ]
    services.status_update_withdraw(update=updates[1], by=superuser, reason="Wrong date.")
    held = Round.objects.create(dialogue=commitment.dialogue, number=1, held_on="2022-01-15")
    services.assessment_create(
        commitment=commitment, round=held, party="US", score=0, rationale="Started.", assessor=editor
    )
    assessment = commitment.assessments.get()
    others = StatusUpdate.objects.create(
        commitment=other, author=editor, status=Status.ON_TRACK, progress=1, text="x"
    )
    for n, (update, assessed) in enumerate(
        [(updates[0], None), (updates[2], None), (updates[0], None), (None, assessment), (others, None)]
    ):
        EvidenceFile.objects.create(
            file=f"2026/01/{n}.pdf",
            original_name=f"{n}.pdf",
            content_type="application/pdf",
            size=3 + n,
            uploaded_by=editor,
            status_update=update,
            assessment=assessed,
        )
    expected = list(trail_updates(day).filter(commitment=commitment).prefetch_related("evidence_files"))
    expected_assessments = list(commitment_assessments(commitment.pk, day))
    found = trail_of(commitment.pk, day)
    found_assessments = list(commitment_assessments(commitment.pk, day, with_files=False))
    attach_files(commitment.pk, found, found_assessments)
    assert [fields_of(u) for u in found] == [fields_of(u) for u in expected]
    assert [(fields_of(u.author), fields_of(u.withdrawn_by)) for u in found] == [
        (fields_of(u.author), fields_of(u.withdrawn_by)) for u in expected
    ]
    assert any(u.withdrawn_by for u in found) and any(u.attached_files for u in found)
    assert [[fields_of(f) for f in u.attached_files] for u in found] == [
        [fields_of(f) for f in u.evidence_files.all()] for u in expected
    ]
    assert [[fields_of(f) for f in a.attached_files] for a in found_assessments] == [
        [fields_of(f) for f in a.attached_files] for a in expected_assessments
    ]


@pytest.mark.parametrize("day", [None, datetime.date(2022, 3, 1), datetime.date(2000, 1, 1)])
def test_the_commitment_pages_compiled_row_is_the_orms(day, editor):
    """selectors.commitment.commitment_row (compiled once, made by compiled.ModelRows) gives the
    commitment commitment_for_page reads: its fields, its state on the day, its dialogue, source and
    parent; None when it was not announced by the day."""
    from tracker.selectors.commitment import commitment_for_page, commitment_row

    parent = make_commitment(title="Parent", announced_on=datetime.date(2021, 11, 10))
    commitment = make_commitment(parent=parent, announced_on=datetime.date(2021, 11, 10))
    orphan = make_commitment(source=None, announced_on=datetime.date(2021, 11, 10))
    for n, status in enumerate([Status.ON_TRACK, Status.AT_RISK]):
        services.status_update_create(
            commitment=commitment,
            author=editor,
            status=status,
            progress=30 * (n + 1),
            text="News.",
            reported_on=datetime.date(2022, 2 + 2 * n, 1),
            **({"reason": SlipReason.FUNDING} if status == Status.AT_RISK else {}),
        )
    for made in (commitment, orphan):
        expected = commitment_for_page(day).filter(pk=made.pk).first()
        found = commitment_row(made.pk, day)
        if expected is None:
            assert found is None
            continue
        assert fields_of(found) == fields_of(expected)
        assert (found.status, found.progress, found.last_update_on, found.slip_reason, found.judged_on) == (
            expected.status,
            expected.progress,
            expected.last_update_on,
            expected.slip_reason,
            expected.judged_on,
        )
        assert [fields_of(found.dialogue), fields_of(found.source), fields_of(found.parent)] == [
            fields_of(expected.dialogue),
            fields_of(expected.source),
            fields_of(expected.parent),
        ]


@pytest.mark.parametrize("day", [None, datetime.date(2022, 3, 1), datetime.date(2021, 1, 1)])
def test_the_commitment_pages_compiled_rounds_and_assessments_are_the_orms(day, editor, superuser):
    """selectors.rounds_held and selectors.commitment.assessments_of (compiled once, made from rows)
    give the rounds, their outcomes, the assessments and their assessors the ORM reads, in its order."""
    from tracker.models import Round, SourceDocument
    from tracker.selectors.assessments import rounds_held, rounds_query
    from tracker.selectors.commitment import assessments_of, commitment_assessments

    commitment, other = make_commitment(), make_commitment()
    outcome = SourceDocument.objects.create(title="Joint statement", published_on="2022-02-01")
    first = Round.objects.create(
        dialogue=commitment.dialogue, number=1, held_on="2022-01-15", outcome=outcome
    )
    Round.objects.create(dialogue=commitment.dialogue, number=2, held_on="2022-06-15")
    Round.objects.create(dialogue=other.dialogue, number=1, held_on="2022-01-20")
    for assessor, score, made in [(editor, 0, "Started."), (superuser, 1, "Done."), (editor, -1, "Other.")]:
        services.assessment_create(
            commitment=commitment if made != "Other." else other,
            round=first if made != "Other." else other.dialogue.rounds.get(),
            party="US",
            score=score,
            rationale=made,
            assessor=assessor,
        )
    expected_rounds = list(rounds_query(commitment.dialogue_id, day))
    found_rounds = rounds_held(commitment.dialogue_id, day)
    assert [fields_of(r) for r in found_rounds] == [fields_of(r) for r in expected_rounds]
    assert [fields_of(r.outcome) for r in found_rounds] == [fields_of(r.outcome) for r in expected_rounds]
    expected = list(commitment_assessments(commitment.pk, day, with_files=False))
    found = assessments_of(commitment.pk, day)
    assert [(fields_of(a), fields_of(a.assessor)) for a in found] == [
        (fields_of(a), fields_of(a.assessor)) for a in expected
    ]
    # Not vacuous: today both rounds and both assessments (made today), on 2022-03-01 the first round.
    rounds_by_day = {None: 2, datetime.date(2022, 3, 1): 1, datetime.date(2021, 1, 1): 0}
    assert (len(found_rounds), len(found)) == (rounds_by_day[day], 2 if day is None else 0)


def test_a_session_read_through_the_compiled_query_is_djangos(db, editor, settings):
    """tracker.login_state.SessionStore reads what Django's database store reads: a saved session's
    data; nothing, and a new key, for an expired or unknown one."""
    from django.contrib.sessions.backends.db import SessionStore as DjangoStore
    from django.contrib.sessions.models import Session

    from tracker.login_state import SessionStore

    saved = SessionStore()
    saved["who"] = "editor"
    saved.save()
    assert (
        SessionStore(saved.session_key).load() == DjangoStore(saved.session_key).load() == {"who": "editor"}
    )
    Session.objects.filter(session_key=saved.session_key).update(
        expire_date=datetime.datetime(2000, 1, 1, tzinfo=datetime.UTC)
    )
    expired = SessionStore(saved.session_key)
    assert expired.load() == {} and expired.session_key is None
    assert SessionStore("x" * 32).load() == {}


def test_the_logged_in_user_read_through_the_compiled_query_is_djangos(editor):
    """tracker.login_state.ModelBackend.get_user gives the user Django's ModelBackend gives; None for
    an unknown id or a user who may no longer log in."""
    from django.contrib.auth.backends import ModelBackend as DjangoBackend

    from tracker.login_state import ModelBackend

    assert fields_of(ModelBackend().get_user(editor.pk)) == fields_of(DjangoBackend().get_user(editor.pk))
    assert ModelBackend().get_user(editor.pk + 1000) is None
    editor.is_active = False
    editor.save()
    assert ModelBackend().get_user(editor.pk) is None is DjangoBackend().get_user(editor.pk)
