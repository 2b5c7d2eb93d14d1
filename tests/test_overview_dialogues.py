"""The overview, one dialogue at a time: the switch, cards that never merge two dialogues' objectives,
governance apart from the objectives, and open commitments counted by reason for slippage."""

import datetime

import pytest

from tracker import services
from tracker.models import Commitment, Dialogue, SlipReason, Status, Theme, ThemeKind
from tracker.selectors.overview import DIALOGUES_PER_PAGE

D = datetime.date


@pytest.fixture
def two_dialogues(db):
    """Two dialogues, each with its own "STEM education" objective and a governance theme."""
    space = Dialogue.objects.create(
        name="Space dialogue", slug="space", parties="US,FR", announced_on=D(2021, 11, 10)
    )
    ocean = Dialogue.objects.create(
        name="Ocean dialogue", slug="ocean", parties="US,JP", announced_on=D(2022, 3, 1)
    )
    themes = {}
    for dialogue in (space, ocean):
        themes[(dialogue.slug, "stem")] = Theme.objects.create(
            dialogue=dialogue, name="STEM education", slug=f"{dialogue.slug}-stem", order=1
        )
        themes[(dialogue.slug, "governance")] = Theme.objects.create(
            dialogue=dialogue,
            name="Dialogue governance",
            slug=f"{dialogue.slug}-governance",
            kind=ThemeKind.GOVERNANCE,
            order=9,
        )
    return space, ocean, themes


@pytest.fixture
def add(two_dialogues, editor):
    space, ocean, themes = two_dialogues
    dialogues = {"space": space, "ocean": ocean}

    def commitment(dialogue, theme, status=None, reason="", reported_on=None):
        c = Commitment.objects.create(
            dialogue=dialogues[dialogue],
            slug=f"c{Commitment.objects.count()}",
            title=f"{dialogue} {theme} {Commitment.objects.count()}",
            announced_on=D(2022, 1, 1),
        )
        c.themes.set([themes[(dialogue, theme)]])
        if status:
            services.status_update_create(
                commitment=c,
                author=editor,
                status=status,
                progress=20,
                text="News.",
                reported_on=reported_on or datetime.date.today(),
                reason=reason,
            )
        return c

    return commitment


def cards_by_dialogue(overview):
    return {
        (section.dialogue.slug if section.dialogue else None): {t.name: t.n for t in section.objectives}
        for section in overview.sections
    }


def test_two_dialogues_objectives_of_the_same_name_never_merge(viewer_client, add):
    add("space", "stem")
    add("space", "stem")
    add("ocean", "stem")
    overview = viewer_client.get("/").context["overview"]
    assert cards_by_dialogue(overview) == {"space": {"STEM education": 2}, "ocean": {"STEM education": 1}}
    page = viewer_client.get("/").content.decode()
    assert "Space dialogue" in page and "Ocean dialogue" in page
    assert page.count(">STEM education</a>") == 2


def test_one_dialogue_shows_only_its_own_themes_and_commitments(viewer_client, add):
    add("space", "stem", Status.OFF_TRACK, SlipReason.FUNDING)
    add("ocean", "stem", Status.OFF_TRACK, SlipReason.TECHNICAL)
    add("ocean", "stem")
    response = viewer_client.get("/?dialogue=ocean")
    overview = response.context["overview"]
    assert overview.dialogue.slug == "ocean"
    assert [(t.slug, t.n) for t in overview.themes] == [("ocean-stem", 2), ("ocean-governance", 0)]
    assert overview.attention["off_track"] == 1
    assert {c.dialogue.slug for c in overview.attention_list} == {"ocean"}
    assert {u.commitment.dialogue.slug for u in overview.latest_updates} == {"ocean"}
    page = response.content.decode()
    assert "space-stem" not in page
    # Its links keep to the dialogue.
    assert "/commitments/?theme=ocean-stem&amp;status=off_track&amp;dialogue=ocean" in page
    assert "/commitments/?status=off_track&amp;dialogue=ocean" in page


def test_governance_is_shown_apart_from_the_announced_objectives(viewer_client, add):
    add("space", "governance")
    overview = viewer_client.get("/?dialogue=space").context["overview"]
    (section,) = overview.sections
    assert [t.slug for t in section.objectives] == ["space-stem"]
    assert [t.slug for t in section.governance] == ["space-governance"]
    page = viewer_client.get("/?dialogue=space").content.decode()
    objectives, governance = page.split('class="governance"')
    assert "space-governance" not in objectives and "space-governance" in governance


def test_the_switch_offers_every_dialogue_and_keeps_the_as_of_day(viewer_client, two_dialogues):
    page = viewer_client.get("/?dialogue=space&as_of=2023-01-01").content.decode()
    assert '<option value="space" selected>Space dialogue</option>' in page
    assert '<option value="ocean">Ocean dialogue</option>' in page
    assert '<input type="hidden" name="as_of" value="2023-01-01">' in page
    assert '<input type="hidden" name="dialogue" value="space">' in page  # the as-of picker keeps it


def test_an_unknown_dialogue_is_named_and_all_dialogues_are_shown(viewer_client, add):
    add("space", "stem")
    add("ocean", "stem")
    response = viewer_client.get("/?dialogue=moon")
    assert response.status_code == 200
    assert "No dialogue is called “moon”: showing all dialogues." in response.content.decode()
    assert set(cards_by_dialogue(response.context["overview"])) == {"space", "ocean"}


def test_the_cached_overview_keeps_dialogues_apart(viewer_client, add):
    add("space", "stem")
    add("ocean", "stem")
    assert viewer_client.get("/?dialogue=space").context["overview"].themes[0].slug == "space-stem"
    assert viewer_client.get("/?dialogue=ocean").context["overview"].themes[0].slug == "ocean-stem"
    assert "space-stem" not in viewer_client.get("/?dialogue=ocean").content.decode()


def test_the_overview_counts_open_commitments_by_reason_and_links_to_them(viewer_client, add):
    add("space", "stem", Status.AT_RISK, SlipReason.FUNDING)
    add("space", "stem", Status.OFF_TRACK, SlipReason.FUNDING)
    add("ocean", "stem", Status.AT_RISK, SlipReason.LEGAL)
    add("space", "stem", Status.DISCONTINUED, SlipReason.FUNDING)  # closed: not counted
    overview = viewer_client.get("/").context["overview"]
    counts = {r.value: r.count for r in overview.reasons}
    assert counts["funding"] == 2 and counts["legal"] == 1 and counts["technical"] == 0
    response = viewer_client.get("/?dialogue=space")
    funding = next(r for r in response.context["overview"].reasons if r.value == "funding")
    assert funding.count == 2
    assert funding.url == "/commitments/?reason=funding&status=at_risk&status=off_track&dialogue=space"
    assert "Funding: 2" in response.content.decode()
    assert viewer_client.get(funding.url).context["browser"].total == 2


def test_reasons_and_blocked_on_the_overview_as_of_a_past_day(viewer_client, add, editor):
    blocker = add("space", "stem", Status.AT_RISK, SlipReason.TECHNICAL, reported_on=D(2022, 3, 1))
    waiting = add("space", "stem")
    services.commitment_set_blockers(commitment=waiting, blockers=[blocker])
    services.status_update_create(
        commitment=blocker,
        author=editor,
        status=Status.ON_TRACK,
        progress=50,
        text="Fixed.",
        reported_on=D(2023, 1, 1),
    )
    today = viewer_client.get("/?dialogue=space").context["overview"]
    past = viewer_client.get("/?dialogue=space&as_of=2022-06-30").context["overview"]
    assert today.attention["blocked"] == 0 and past.attention["blocked"] == 1
    assert {r.value: r.count for r in today.reasons}["technical"] == 0
    assert {r.value: r.count for r in past.reasons}["technical"] == 1
    assert [(t.slug, t.n) for t in past.themes] == [("space-stem", 2), ("space-governance", 0)]


def test_the_blocked_count_today_links_to_the_blocked_list(viewer_client, add):
    blocker = add("space", "stem", Status.OFF_TRACK, SlipReason.POLITICAL)
    waiting = add("space", "stem")
    services.commitment_set_blockers(commitment=waiting, blockers=[blocker])
    response = viewer_client.get("/")
    assert response.context["overview"].attention["blocked"] == 1
    assert "/commitments/?blocked=1" in response.content.decode()


def test_the_charts_follow_the_dialogue(viewer_client, add):
    add("space", "stem")
    add("ocean", "stem")
    page = viewer_client.get("/?dialogue=space").content.decode()
    assert "/overview/charts/?dialogue=space" in page
    charts = viewer_client.get("/overview/charts/?dialogue=space").context["overview"]
    assert [t.slug for t in charts.chart_themes] == ["space-stem", "space-governance"]


def test_the_overview_links_to_the_chosen_dialogues_scorecard(viewer_client, two_dialogues):
    page = viewer_client.get("/?dialogue=ocean").content.decode()
    assert 'href="/dialogues/ocean/scorecard/"' in page
    assert 'href="/dialogues/"' in viewer_client.get("/").content.decode()


@pytest.fixture
def many_dialogues(db, editor):
    """One more dialogue than a page of the overview shows, each with one objective and one
    commitment off track; announced a month apart, the first oldest."""
    dialogues = []
    for i in range(DIALOGUES_PER_PAGE + 1):
        dialogue = Dialogue.objects.create(
            name=f"Dialogue {i}", slug=f"d{i}", parties="US,FR", announced_on=D(2020, 1 + i, 1)
        )
        theme = Theme.objects.create(dialogue=dialogue, name="Climate", slug=f"d{i}-climate", order=1)
        commitment = Commitment.objects.create(
            dialogue=dialogue, slug=f"c{i}", title=f"Commitment {i}", announced_on=D(2022, 1, 1)
        )
        commitment.themes.set([theme])
        services.status_update_create(
            commitment=commitment,
            author=editor,
            status=Status.OFF_TRACK,
            progress=10,
            text="Stuck.",
            reported_on=datetime.date.today(),
            reason=SlipReason.FUNDING,
        )
        dialogues.append(dialogue)
    return dialogues


def test_every_dialogues_cards_come_a_page_of_dialogues_at_a_time_newest_first(viewer_client, many_dialogues):
    first = viewer_client.get("/")
    newest = [f"d{i}" for i in range(DIALOGUES_PER_PAGE, 0, -1)]
    assert list(cards_by_dialogue(first.context["overview"])) == newest
    page = first.content.decode()
    assert 'href="/?page=2"' in page and "Page 1 of 2" in page
    second = viewer_client.get("/?page=2")
    assert list(cards_by_dialogue(second.context["overview"])) == ["d0"]
    assert 'href="/?page=1"' in second.content.decode()


def test_every_page_of_dialogues_counts_what_needs_attention_in_all_of_them(viewer_client, many_dialogues):
    for url in ("/", "/?page=2"):
        overview = viewer_client.get(url).context["overview"]
        assert overview.attention["off_track"] == len(many_dialogues)
        assert {r.value: r.count for r in overview.reasons}["funding"] == len(many_dialogues)


def test_a_page_of_dialogues_keeps_the_as_of_day_and_its_charts_follow_it(viewer_client, many_dialogues):
    page = viewer_client.get("/?page=2&as_of=2024-01-01").content.decode()
    assert 'href="/?page=1&amp;as_of=2024-01-01"' in page
    assert "/overview/charts/?page=2&amp;as_of=2024-01-01" in page
    charts = viewer_client.get("/overview/charts/?page=2").context["overview"]
    assert [t.slug for t in charts.chart_themes] == ["d0-climate"]
    fragment = viewer_client.get("/overview/charts/?page=2", HTTP_HX_REQUEST="true").content.decode()
    assert 'href="/overview/charts/?page=2"' in fragment  # its link to the charts' own page


def test_a_page_of_dialogues_that_is_not_one_shows_the_first_or_the_last(viewer_client, many_dialogues):
    assert viewer_client.get("/?page=x").context["overview"].dialogue_page.number == 1
    assert viewer_client.get("/?page=99").context["overview"].dialogue_page.number == 2


def test_one_dialogue_has_no_pages_of_dialogues(viewer_client, many_dialogues):
    response = viewer_client.get("/?dialogue=d0&page=2")
    assert list(cards_by_dialogue(response.context["overview"])) == ["d0"]
    assert "Pages of dialogues" not in response.content.decode()


@pytest.mark.parametrize("dialogue", [None, "space"])
def test_what_needs_attention_is_counted_as_its_query_counts_on_any_day_and_setting(settings, add, dialogue):
    """The overview's counts run from SQL compiled once and given the day's dates: they must be
    those of the query built afresh for that day, for one dialogue or all, whatever the settings."""
    from tracker.selectors import overview

    for status in (Status.AT_RISK, Status.OFF_TRACK, Status.ON_TRACK, None):
        add(
            "space",
            "stem",
            status,
            SlipReason.FUNDING if status in (Status.AT_RISK, Status.OFF_TRACK) else "",
        )
        add("ocean", "stem", status, SlipReason.LEGAL if status in (Status.AT_RISK, Status.OFF_TRACK) else "")
    Commitment.objects.filter(title__endswith="0").update(
        due_on=datetime.date.today() + datetime.timedelta(10)
    )
    Commitment.objects.filter(title__endswith="1").update(
        due_on=datetime.date.today() + datetime.timedelta(40)
    )
    dialogue_id = Dialogue.objects.get(slug=dialogue).pk if dialogue else None
    seen = set()
    for stale_days, soon_days in ((90, 14), (30, 60)):
        settings.TRACKER_STALE_AFTER_DAYS, settings.TRACKER_DUE_SOON_DAYS = stale_days, soon_days
        for later in (0, 20, 50, 200, 400):
            day = datetime.date.today() + datetime.timedelta(later)
            counted = overview.attention_summary(day, dialogue_id)
            rows = overview.attention_summary_query(day, dialogue_id)
            assert counted == overview.attention_summary_of(rows), (stale_days, soon_days, later)
            seen.add(tuple(sorted(counted.items())))
    assert len(seen) >= 3, "the days and settings chosen change the counts"


@pytest.mark.parametrize("dialogue", [None, "space"])
@pytest.mark.parametrize(("off_track", "at_risk"), [(0, 2), (6, 6), (12, 0)])
def test_todays_short_lists_read_as_rows_are_those_of_their_queries(
    add, editor, dialogue, off_track, at_risk
):
    """Today the page reads what needs attention and the latest updates as rows, from SQL compiled
    once: the same commitments and updates, in the same order, with the same columns, as the
    queries that define them (attention_list, latest_updates), for each way the list of ten is
    chosen (among all that need attention, the troubled, or the off track alone)."""
    from tracker.selectors import overview

    today = datetime.date.today()
    statuses = [Status.OFF_TRACK] * off_track + [Status.AT_RISK] * at_risk + [Status.ON_TRACK, None] * 3
    for i, status in enumerate(statuses):
        reason = SlipReason.FUNDING if status in (Status.AT_RISK, Status.OFF_TRACK) else ""
        reported = today - datetime.timedelta(days=200 if i % 2 else 0)
        add("space" if i % 3 else "ocean", "stem", status, reason, reported_on=reported)
    Commitment.objects.filter(title__endswith="1").update(due_on=today - datetime.timedelta(3))
    Commitment.objects.filter(title__endswith="2").update(title_fr="Titre en français")
    dialogue_id = Dialogue.objects.get(slug=dialogue).pk if dialogue else None
    counts = overview.attention_summary(today, dialogue_id)
    known = {status: counts[status] for status in (Status.AT_RISK, Status.OFF_TRACK)}
    models = list(overview.attention_list(today, dialogue_id, troubled=known))
    rows = overview.attention_rows(today, dialogue_id, known)
    assert [
        (r.pk, r.title, r.title_fr, r.status, r.due_on, r.last_update_on, r.announced_on, r.dialogue_name)
        for r in rows
    ] == [
        (c.pk, c.title, c.title_fr, c.status, c.due_on, c.last_update_on, c.announced_on, c.dialogue.name)
        for c in models
    ]
    assert rows
    updates = list(overview.latest_updates(today, dialogue_id))
    assert overview.update_rows(today, dialogue_id) == [
        overview.UpdateRow(
            u.commitment_id,
            u.commitment.title,
            u.commitment.title_fr,
            u.status,
            u.progress,
            u.reported_on,
            editor.get_username(),
        )
        for u in updates
    ]
    assert updates


@pytest.mark.parametrize("dialogue", [None, "space"])
def test_todays_cards_counted_from_sql_compiled_once_are_the_maintained_counts(add, dialogue):
    """The cards' counts run from SQL compiled once for as many themes, given the themes' codes: the
    same counts as the maintained counts' query built afresh, for any themes asked."""
    from tracker.counts import theme_status_counts
    from tracker.selectors import overview

    for i, status in enumerate([Status.AT_RISK, Status.ON_TRACK, Status.COMPLETED, None]):
        reason = SlipReason.FUNDING if status == Status.AT_RISK else ""
        add("space" if i % 2 else "ocean", "stem", status, reason)
        add("space", "governance", status, reason)
    dialogue_id = Dialogue.objects.get(slug=dialogue).pk if dialogue else None
    themes = list(Theme.objects.order_by("pk").values_list("pk", flat=True))
    for asked in (themes, themes[1:], themes[:1]):
        counts, progress = overview.theme_counts(datetime.date.today(), dialogue_id, asked)
        expected_counts, expected_progress = {}, {}
        for code, status, n, summed in theme_status_counts(dialogue_id, asked):
            expected_counts[(int(code), status)] = n
            expected_progress[int(code)] = expected_progress.get(int(code), 0) + summed
        assert expected_counts, asked
        assert dict(counts) == expected_counts
        assert dict(progress) == expected_progress
