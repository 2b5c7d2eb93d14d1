"""What changed between two days: every kind of change, the rule, the CSV."""

import csv
import datetime
import io
import random

import pytest

from tests.factories import make_agency, reason_for
from tracker import services
from tracker.models import Commitment, Dialogue, Status, Theme
from tracker.selectors.changes import KINDS

D = datetime.date
FOUNDED = D(2021, 1, 1)
WINDOW = "from=2022-04-01&to=2022-06-30"


@pytest.fixture
def dialogue(db):
    return Dialogue.objects.create(name="Space", slug="space", parties="US,FR", announced_on=D(2021, 1, 1))


@pytest.fixture
def theme(db):
    return Theme.objects.create(name="Climate", slug="climate", order=1)


@pytest.fixture
def commit(dialogue, theme, editor):
    """A commitment under the theme with a trail of (day, status, progress)."""

    def make(title, trail=(), announced_on=FOUNDED, due_on=None, themes=None):
        c = Commitment.objects.create(
            dialogue=dialogue,
            slug=title.lower().replace(" ", "-"),
            title=title,
            announced_on=announced_on,
            due_on=due_on,
        )
        c.themes.set(themes if themes is not None else [theme])
        for day, status, progress in trail:
            services.status_update_create(
                commitment=c,
                author=editor,
                status=status,
                **reason_for(status),
                progress=progress,
                text=f"{title} news",
                reported_on=day,
            )
        return c

    return make


def kinds(client, query=WINDOW):
    changes = client.get(f"/changes/?{query}").context["changes"]
    return {row.title: row.kinds for row in changes.rows}


def test_progress_up_or_a_better_status_is_forward(viewer_client, commit):
    commit("Faster", [(D(2022, 3, 1), Status.ON_TRACK, 20), (D(2022, 5, 1), Status.ON_TRACK, 50)])
    commit("Recovered", [(D(2022, 3, 1), Status.AT_RISK, 20), (D(2022, 5, 1), Status.ON_TRACK, 20)])
    commit("Done", [(D(2022, 3, 1), Status.ON_TRACK, 90), (D(2022, 6, 30), Status.COMPLETED, 100)])
    found = kinds(viewer_client)
    assert found["Faster"][0] == found["Recovered"][0] == found["Done"][0] == "forward"


def test_progress_down_or_a_worse_status_is_slipped(viewer_client, commit):
    commit("Backwards", [(D(2022, 3, 1), Status.ON_TRACK, 50), (D(2022, 5, 1), Status.ON_TRACK, 40)])
    commit("In trouble", [(D(2022, 3, 1), Status.ON_TRACK, 50), (D(2022, 5, 1), Status.AT_RISK, 60)])
    commit("Dropped", [(D(2022, 3, 1), Status.ON_TRACK, 50), (D(2022, 5, 1), Status.DISCONTINUED, 50)])
    found = kinds(viewer_client)
    assert found["Backwards"][0] == found["In trouble"][0] == found["Dropped"][0] == "slipped"


def test_the_same_state_reported_again_is_unchanged_and_not_silent(viewer_client, commit):
    commit("Steady", [(D(2022, 3, 1), Status.ON_TRACK, 50), (D(2022, 5, 1), Status.ON_TRACK, 50)])
    assert kinds(viewer_client)["Steady"] == ["unchanged"]


def test_announced_inside_the_window_is_new(viewer_client, commit):
    commit("Fresh", [(D(2022, 5, 2), Status.ON_TRACK, 5)], announced_on=D(2022, 5, 1))
    commit("Too late", announced_on=D(2022, 7, 1))
    found = kinds(viewer_client)
    assert found["Fresh"] == ["new"]
    assert "Too late" not in found


def test_due_date_passing_inside_the_window_became_overdue(viewer_client, commit):
    commit("Late", [(D(2022, 5, 1), Status.ON_TRACK, 50)], due_on=D(2022, 6, 1))
    commit("Already late", [(D(2022, 5, 1), Status.ON_TRACK, 50)], due_on=D(2022, 3, 1))
    found = kinds(viewer_client)
    assert "became_overdue" in found["Late"]
    assert "became_overdue" not in found["Already late"]


def test_going_quiet_inside_the_window_became_stale_and_silent(viewer_client, commit):
    # Reported 31 days before the window opens, so 121 days old when it closes (stale after 90).
    commit("Quiet", [(D(2022, 3, 1), Status.ON_TRACK, 50)])
    assert kinds(viewer_client)["Quiet"] == ["unchanged", "became_stale", "silent"]


def test_closed_commitments_are_never_silent(viewer_client, commit):
    commit("Finished", [(D(2022, 3, 1), Status.COMPLETED, 100)])
    assert kinds(viewer_client)["Finished"] == ["unchanged"]


def test_rows_show_from_to_progress_delta_and_the_updates_in_the_window(viewer_client, commit):
    c = commit("Faster", [(D(2022, 3, 1), Status.AT_RISK, 20), (D(2022, 5, 1), Status.ON_TRACK, 50)])
    page = viewer_client.get(f"/changes/?{WINDOW}").content.decode()
    assert "At risk</span> → <span" in page and "20% → 50%" in page and "(+30)" in page
    assert "Faster news" in page and "1 May 2022" in page
    assert f'href="/commitments/{c.pk}/?as_of=2022-06-30"' in page
    assert "Moved forward: the status improved" in page  # the rule, said on the page


def test_counts_at_the_top_count_each_commitment_once(viewer_client, commit, dialogue):
    other = Theme.objects.create(name="Education", slug="education", order=2)
    commit("Both", [(D(2022, 5, 1), Status.ON_TRACK, 10)], themes=[Theme.objects.get(slug="climate"), other])
    changes = viewer_client.get(f"/changes/?{WINDOW}").context["changes"]
    assert dict((kind, n) for kind, _, n in changes.counts)["forward"] == 1
    assert [g.name for g in changes.groups] == ["Climate", "Education"]


def test_an_objectives_size_counts_its_commitments_announced_by_the_windows_end(viewer_client, commit, theme):
    """With no filter the sizes come from the maintained counts, with one they are counted: the two
    agree, leaving out what was announced after the window, and count those under no objective."""
    commit("Both", themes=[theme, Theme.objects.create(name="Education", slug="education", order=2)])
    commit("Climate only")
    commit("Nowhere", themes=[])
    commit("Later climate", announced_on=D(2022, 8, 1))
    commit("Later nowhere", announced_on=D(2022, 8, 1), themes=[])
    for query in (WINDOW, f"{WINDOW}&dialogue=space"):
        changes = viewer_client.get(f"/changes/?{query}").context["changes"]
        assert {group.name: group.size for group in changes.groups} == {
            "Climate": 2,
            "Education": 1,
            "No objective": 1,
        }, query


def test_many_objectives_come_a_page_at_a_time_and_the_counts_cover_them_all(
    viewer_client, commit, monkeypatch
):
    from tracker.selectors.changes import Changes

    monkeypatch.setattr(Changes, "OBJECTIVES_PER_PAGE", 2)
    for order, name in enumerate(["Air", "Land", "Sea"], start=2):
        theme = Theme.objects.create(name=name, slug=name.lower(), order=order)
        commit(f"{name} work", [(D(2022, 5, 1), Status.ON_TRACK, 10)], themes=[theme])
    first = viewer_client.get(f"/changes/?{WINDOW}")
    assert [g.name for g in first.context["changes"].groups] == ["Air", "Land"]
    assert dict((kind, n) for kind, _, n in first.context["changes"].counts)["forward"] == 3
    page = first.content.decode()
    assert "Objectives 1–2 of 3 below; the counts above cover all of them." in page
    assert "Next objectives" in page and "Previous objectives" not in page
    second = viewer_client.get(f"/changes/?{WINDOW}&page=2", HTTP_HX_REQUEST="true")
    assert [g.name for g in second.context["changes"].groups] == ["Sea"]
    assert "Previous objectives" in second.content.decode()
    # The CSV has every objective whatever the page.
    rows = viewer_client.get(f"/changes/export.csv?{WINDOW}&page=2").content.decode("utf-8-sig")
    assert all(f"{name} work" in rows for name in ("Air", "Land", "Sea"))


def test_filters_apply_like_the_list(viewer_client, commit):
    commit("Faster", [(D(2022, 3, 1), Status.ON_TRACK, 20), (D(2022, 5, 1), Status.ON_TRACK, 50)])
    commit("Other", [(D(2022, 3, 1), Status.AT_RISK, 20)])
    assert set(kinds(viewer_client, f"{WINDOW}&status=at_risk")) == {"Other"}
    assert set(kinds(viewer_client, f"{WINDOW}&q=faster")) == {"Faster"}
    assert set(kinds(viewer_client, f"{WINDOW}&theme=nothing")) == set()


def test_the_filter_form_offers_an_agency_added_since_the_page_was_last_drawn(viewer_client, dialogue):
    """The form is cached with the page: a write must still show in its options at once."""
    make_agency(name="Before", slug="before")
    assert 'value="before"' in viewer_client.get(f"/changes/?{WINDOW}").content.decode()
    make_agency(name="Added since", slug="added-since")
    assert 'value="added-since"' in viewer_client.get(f"/changes/?{WINDOW}").content.decode()


def test_the_csv_has_the_same_rows_as_the_page(viewer_client, commit):
    commit("Faster", [(D(2022, 3, 1), Status.ON_TRACK, 20), (D(2022, 5, 1), Status.ON_TRACK, 50)])
    commit("Quiet", [(D(2022, 3, 1), Status.ON_TRACK, 50)])
    commit("Fresh", announced_on=D(2022, 5, 1))
    changes = viewer_client.get(f"/changes/?{WINDOW}").context["changes"]
    on_page = [(g.name, row.title, row.main_kind) for g in changes.groups for row in g.rows]
    response = viewer_client.get(f"/changes/export.csv?{WINDOW}")
    rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))
    labels = {"forward": "Moved forward", "new": "Newly announced", "unchanged": "Status unchanged"}
    assert [(r["objective"], r["title"], r["change"]) for r in rows] == [
        (name, title, labels[kind]) for name, title, kind in on_page
    ]
    assert rows[0]["progress change"] == "30"


def test_the_window_defaults_to_the_last_90_days(viewer_client, dialogue):
    window = viewer_client.get("/changes/").context["changes"].window
    assert (window.end - window.start).days == 90


def test_the_overview_links_to_the_last_90_days(viewer_client, dialogue):
    assert 'href="/changes/"' in viewer_client.get("/").content.decode()


@pytest.mark.parametrize(
    "query, message",
    [
        ("from=2022-06-30&to=2022-04-01", "must be before"),
        ("from=1990-01-01&to=2022-04-01", "at most 20 years"),
        ("from=yesterday", "is not a date"),
        ("to=1899-01-01", "1900 or later"),
        ("to=2999-01-01", "in the future"),
        ("from=2022-01-01&from=2022-02-01", "given 2 times"),
    ],
)
@pytest.mark.parametrize("path", ["/changes/", "/changes/export.csv"])
def test_a_window_that_cannot_be_used_gets_a_clear_400(viewer_client, dialogue, path, query, message):
    response = viewer_client.get(f"{path}?{query}")
    assert response.status_code == 400
    assert message in response.content.decode()


def test_the_database_classifies_every_commitment_as_python_does(viewer_client, commit, editor):
    """The page's counts and rows are classified by the database (classified_sql), the CSV and the
    API's by `classify`: on random trails, with updates withdrawn, on windows ending today and in
    the past, both give every commitment the same kinds."""
    rng = random.Random(16)
    statuses = list(Status)
    themes = [Theme.objects.create(name=f"Theme {i}", slug=f"t{i}", order=i) for i in range(3)]
    for i in range(60):
        trail, day = [], D(2021, 1, 1) + datetime.timedelta(days=rng.randrange(400))
        for _ in range(rng.randrange(5)):
            day += datetime.timedelta(days=rng.randrange(1, 200))
            trail.append((day, rng.choice(statuses), rng.choice([0, 10, 50, 50, 100])))
        c = commit(
            f"Commitment {i}",
            trail,
            announced_on=D(2021, 1, 1) + datetime.timedelta(days=rng.randrange(700)),
            due_on=rng.choice([None, D(2021, 6, 1) + datetime.timedelta(days=rng.randrange(900))]),
            themes=rng.sample(themes, rng.randrange(3)),
        )
        for update in c.updates.all():
            if rng.random() < 0.15:
                services.status_update_withdraw(update=update, by=editor, reason="wrong")
    windows = ["from=2021-09-01&to=2022-03-01", "from=2022-04-01&to=2022-06-30", "from=2021-01-01", ""]
    labels = {str(label): kind for kind, label in KINDS.items()}
    flags = {"became overdue": "became_overdue", "became stale": "became_stale", "silent": "silent"}
    for query in windows:
        exported = viewer_client.get(f"/changes/export.csv?{query}").content.decode("utf-8-sig")
        by_python = {
            int(row["id"]): [
                labels[row["change"]],
                *(kind for column, kind in flags.items() if row[column] == "yes"),
            ]
            for row in csv.DictReader(io.StringIO(exported))
        }
        changes = viewer_client.get(f"/changes/?{query}").context["changes"]
        tally = {kind: sum(kind in kinds for kinds in by_python.values()) for kind in KINDS}
        assert {kind: n for kind, _label, n in changes.counts} == tally, query
        shown = {row.pk: row.kinds for group in changes.groups for row in group.shown}
        assert shown == {pk: by_python[pk] for pk in shown}, query


def test_a_row_lists_its_latest_updates_in_the_window_and_counts_them_all(viewer_client, commit):
    trail = [(D(2022, 4, day), Status.ON_TRACK, 10 * day) for day in (2, 3, 4, 5, 6)]
    commit("Busy", trail)
    response = viewer_client.get(f"/changes/?{WINDOW}")
    [row] = [row for group in response.context["changes"].groups for row in group.shown]
    assert [u.reported_on for u in row.updates] == [D(2022, 4, 4), D(2022, 4, 5), D(2022, 4, 6)]
    assert "and 2 earlier updates" in response.content.decode()
    exported = viewer_client.get(f"/changes/export.csv?{WINDOW}").content.decode("utf-8-sig")
    assert next(csv.DictReader(io.StringIO(exported)))["updates in the window"] == "5"


def test_a_rows_updates_name_their_author_and_cut_long_texts(viewer_client, commit, editor):
    busy = commit("Busy")
    long_text = "Funding agreed. " * 20  # 320 characters
    for day, text in ((D(2022, 4, 4), long_text), (D(2022, 4, 5), "Cafe\u0301 opened.")):
        services.status_update_create(
            commitment=busy, author=editor, status=Status.ON_TRACK, progress=20, text=text, reported_on=day
        )
    page = viewer_client.get(f"/changes/?{WINDOW}").content.decode()
    # The login while the editor has no name; their name once they have one.
    assert "editor: " in page
    assert f"{long_text[:159]}…" in page and long_text not in page
    assert "Café opened." in page  # as |truncatechars writes it: in its composed form
    editor.first_name, editor.last_name = "Ada", "Lovelace"
    editor.save()
    assert "Ada Lovelace: " in viewer_client.get(f"/changes/?{WINDOW}").content.decode()


@pytest.mark.parametrize("htmx", [False, True])
def test_a_search_with_no_word_in_it_shows_nothing_changed(viewer_client, commit, htmx):
    """`q=!!` has no word to look for: it matches nothing, and the page says so (the page's counts
    are SQL written out, which the ORM's "matches nothing" cannot compile into)."""
    commit("Launch a probe", [(D(2024, 3, 1), Status.ON_TRACK, 40)])
    headers = {"HTTP_HX_REQUEST": "true"} if htmx else {}
    response = viewer_client.get(f"/changes/?{WINDOW}&q=%21%21", **headers)
    assert response.status_code == 200
    assert response.context["changes"].rows == []
    assert kinds(viewer_client, f"{WINDOW}&q=probe") == {
        "Launch a probe": kinds(viewer_client)["Launch a probe"]
    }
