"""The charts: SVG drawn on the server, each with a text alternative and a table of the figures it
was drawn from, each reading the tracker as it stood on the page's day, in a fixed number of queries."""

import datetime
import re
import xml.etree.ElementTree as ET

import pytest
from django.utils import timezone

from tests.factories import reason_for
from tracker import services
from tracker.models import Status, Theme
from tracker.selectors.charts import month_ends, theme_months

SVG = "{http://www.w3.org/2000/svg}"
TODAY = timezone.localdate()


def days_ago(n):
    return TODAY - datetime.timedelta(days=n)


def svgs(response) -> list[ET.Element]:
    """Every chart on the page, each parsed as XML (which fails on markup that is not well formed)."""
    html = response.content.decode()
    return [ET.fromstring(m) for m in re.findall(r'<svg[^>]*class="chart[^"]*".*?</svg>', html, re.S)]  # noqa: S314 -- our own pages


def text_alternative(svg) -> str:
    assert svg.get("role") == "img"
    title, desc = svg.find(f"{SVG}title"), svg.find(f"{SVG}desc")
    assert svg.get("aria-labelledby") == f"{title.get('id')} {desc.get('id')}"
    return f"{title.text} {''.join(desc.itertext())}"


def post(commitment, user, days, status, progress):
    services.status_update_create(
        commitment=commitment,
        author=user,
        status=status,
        **reason_for(status),
        progress=progress,
        text="Reported.",
        reported_on=days_ago(days),
    )


@pytest.fixture
def trail(make_commitments, editor):
    """One commitment announced two years ago with four updates: on track twice, then at risk,
    then completed."""
    commitment = make_commitments(1)[0]
    commitment.announced_on = days_ago(730)
    commitment.save()
    for days, status, progress in [
        (300, Status.ON_TRACK, 10),
        (200, Status.ON_TRACK, 40),
        (100, Status.AT_RISK, 45),
        (10, Status.COMPLETED, 100),
    ]:
        post(commitment, editor, days, status, progress)
    return commitment


# --- the commitment page -------------------------------------------------------------------------


def test_progress_chart_has_one_vertex_per_counting_update(viewer_client, trail):
    [chart] = svgs(viewer_client.get(f"/commitments/{trail.pk}/"))
    vertices = [e for e in chart.iter() if e.get("data-vertex") is not None]
    assert len(vertices) == 4
    assert "4 updates counted" in text_alternative(chart)


def test_progress_chart_marks_each_change_of_status_with_its_own_shape(viewer_client, trail):
    [chart] = svgs(viewer_client.get(f"/commitments/{trail.pk}/"))
    marked = [e for e in chart.iter(f"{SVG}path") if e.get("data-shape")]
    # Not started → on track, on track → at risk, at risk → completed; the second on-track is no change.
    assert [e.get("data-shape") for e in marked] == ["triangle", "diamond", "square"]
    assert "now at risk" in text_alternative(chart)


def test_progress_chart_steps_follow_the_progress_reported(viewer_client, trail):
    [chart] = svgs(viewer_client.get(f"/commitments/{trail.pk}/"))
    points = [tuple(map(float, p.split(","))) for p in chart.find(f"{SVG}polyline").get("points").split()]
    ys = [y for _, y in points]
    # Start at 0 %, then each update: along at the old level, then up or down to the new one.
    assert len(points) == 2 + 2 * 4
    bottom, top = ys[0], ys[-1]
    assert ys[2::2][:4] == sorted(ys[2::2][:4], reverse=True)  # 10, 40, 45, 100 %: rising, so y falls
    assert (bottom - ys[4]) / (bottom - top) == pytest.approx(0.40, abs=0.01)


def test_progress_chart_on_a_past_day_ignores_later_updates(viewer_client, trail):
    response = viewer_client.get(f"/commitments/{trail.pk}/?as_of={days_ago(150).isoformat()}")
    [chart] = svgs(response)
    assert len([e for e in chart.iter() if e.get("data-vertex") is not None]) == 2
    assert "2 updates counted" in text_alternative(chart)


def test_progress_chart_leaves_out_withdrawn_updates(viewer_client, trail):
    withdrawn = trail.updates.get(progress=45)
    services.status_update_withdraw(update=withdrawn, by=withdrawn.author, reason="Wrong figure")
    [chart] = svgs(viewer_client.get(f"/commitments/{trail.pk}/"))
    assert len([e for e in chart.iter() if e.get("data-vertex") is not None]) == 3


# --- the theme page ------------------------------------------------------------------------------


def test_month_ends_are_the_last_days_of_the_last_12_months_ending_on_the_day():
    ends = month_ends(datetime.date(2024, 3, 15))
    assert ends[0] == datetime.date(2023, 4, 30)
    assert ends[10] == datetime.date(2024, 2, 29)
    assert ends[-1] == datetime.date(2024, 3, 15)
    assert len(ends) == 12


def test_theme_months_count_each_commitment_as_it_stood_at_each_month_end(make_commitments, editor):
    first, second = make_commitments(2)
    theme = first.themes.get(slug="t0")
    day = datetime.date(2024, 6, 15)
    first.announced_on = datetime.date(2023, 1, 1)
    first.save()
    second.announced_on = datetime.date(2024, 3, 10)  # shown from March on
    second.save()
    for reported_on, status, progress in [
        (datetime.date(2023, 5, 1), Status.ON_TRACK, 20),  # before the first month end: the start state
        (datetime.date(2023, 9, 3), Status.AT_RISK, 30),
        (datetime.date(2023, 9, 20), Status.ON_TRACK, 50),  # later the same month: this one counts
        (datetime.date(2024, 6, 20), Status.COMPLETED, 100),  # after the day: ignored
    ]:
        services.status_update_create(
            commitment=first,
            author=editor,
            status=status,
            **reason_for(status),
            progress=progress,
            text="x",
            reported_on=reported_on,
        )
    months = {m.end.strftime("%Y-%m"): m for m in theme_months(theme, day)}
    assert months["2023-07"].counts[Status.ON_TRACK] == 1 and months["2023-07"].mean_progress == 20
    assert months["2023-09"].counts[Status.ON_TRACK] == 1 and months["2023-09"].mean_progress == 50
    assert months["2024-02"].total == 1
    assert months["2024-03"].total == 2 and months["2024-03"].counts[Status.NOT_STARTED] == 1
    assert months["2024-06"].end == day
    assert months["2024-06"].counts[Status.COMPLETED] == 0 and months["2024-06"].mean_progress == 25


def test_theme_chart_bars_are_as_tall_as_their_counts(viewer_client, make_commitments, editor):
    commitments = make_commitments(3)
    for c in commitments:
        c.announced_on = days_ago(800)
        c.save()
    post(commitments[0], editor, 200, Status.ON_TRACK, 30)
    post(commitments[1], editor, 5, Status.OFF_TRACK, 10)
    status_chart, progress_chart = svgs(viewer_client.get("/themes/t0/"))
    text_alternative(status_chart), text_alternative(progress_chart)
    bars = status_chart.findall(f".//{SVG}g[@class='bar']")
    assert len(bars) == 12
    last = {r.get("data-status"): r for r in bars[-1].findall(f"{SVG}rect")}
    assert {s: int(r.get("data-count")) for s, r in last.items()} == {
        "on_track": 1,
        "off_track": 1,
        "not_started": 1,
    }
    heights = [float(r.get("height")) for r in last.values()]
    assert max(heights) - min(heights) <= 0.2  # one commitment each: equal heights
    first = {r.get("data-status"): int(r.get("data-count")) for r in bars[0].findall(f"{SVG}rect")}
    assert first == {"not_started": 3}
    assert float(bars[0].find(f"{SVG}rect").get("height")) == pytest.approx(3 * heights[0], abs=0.3)


def test_theme_chart_table_states_each_months_counts(viewer_client, make_commitments, editor):
    [c] = make_commitments(1)
    c.announced_on = days_ago(800)
    c.save()
    post(c, editor, 5, Status.AT_RISK, 60)
    html = viewer_client.get("/themes/t0/").content.decode()
    table = html[html.index("<details") : html.index("</details>")]
    rows = re.findall(r'<tr data-month="([\d-]+)">(.*?)</tr>', table, re.S)
    assert len(rows) == 12
    assert rows[-1][0] == TODAY.isoformat()
    assert '<td data-status="at_risk">1</td>' in rows[-1][1]
    assert '<td data-progress="1">60%</td>' in rows[-1][1]


def test_theme_chart_on_a_past_day_ends_on_that_day_and_ignores_later_updates(
    viewer_client, make_commitments, editor
):
    [c] = make_commitments(1)
    c.announced_on = days_ago(800)
    c.save()
    post(c, editor, 5, Status.AT_RISK, 60)
    day = days_ago(40)
    status_chart, _ = svgs(viewer_client.get(f"/themes/t0/?as_of={day.isoformat()}"))
    bars = status_chart.findall(f".//{SVG}g[@class='bar']")
    assert bars[-1].get("data-month") == day.isoformat()
    assert [r.get("data-status") for r in bars[-1].findall(f"{SVG}rect")] == ["not_started"]


# --- the overview --------------------------------------------------------------------------------


def test_overview_cards_each_have_a_status_chart_with_its_figures(viewer_client, make_commitments, editor):
    commitments = make_commitments(2)
    post(commitments[0], editor, 1, Status.COMPLETED, 100)
    response = viewer_client.get("/overview/charts/")
    charts = svgs(response)
    assert len(charts) == 2  # one per theme
    for chart in charts:
        assert "2 commitments" in text_alternative(chart)
        last = chart.findall(f".//{SVG}g[@class='bar']")[-1]
        assert {r.get("data-status"): r.get("data-count") for r in last.findall(f"{SVG}rect")} == {
            "completed": "1",
            "not_started": "1",
        }


def test_overview_chart_on_a_past_day_ignores_later_updates(viewer_client, make_commitments, editor):
    commitments = make_commitments(2)
    post(commitments[0], editor, 1, Status.COMPLETED, 100)
    chart = svgs(viewer_client.get(f"/overview/charts/?as_of={days_ago(3).isoformat()}"))[0]
    last = chart.findall(f".//{SVG}g[@class='bar']")[-1]
    assert [r.get("data-status") for r in last.findall(f"{SVG}rect")] == ["not_started"]


def test_the_overview_loads_its_charts_into_the_cards_after_the_page(viewer_client, make_commitments, editor):
    make_commitments(2)
    page = viewer_client.get(f"/?as_of={days_ago(3).isoformat()}").content.decode()
    theme_ids = [t.pk for t in Theme.objects.all()]
    for pk in theme_ids:
        assert f'id="theme-chart-{pk}" class="chart-slot"></div>' in page
    assert f'hx-get="/overview/charts/?as_of={days_ago(3).isoformat()}" hx-trigger="load"' in page
    fragment = viewer_client.get("/overview/charts/", HTTP_HX_REQUEST="true").content.decode()
    for pk in theme_ids:
        assert f'id="theme-chart-{pk}" class="chart-slot" hx-swap-oob="true">' in fragment
    assert "<h1>" not in fragment
    assert len(svgs(viewer_client.get("/overview/charts/", HTTP_HX_REQUEST="true"))) == 2


# --- queries -------------------------------------------------------------------------------------

# +1 on the theme page: its Follow button reads what the user follows (tracker/context_processors.py;
# the commitment page reads it with the reader's state). The header's count of news is fetched after the page, by htmx.
# name: (url, queries with the charts computed)
PAGES = {
    "overview charts": (lambda c: "/overview/charts/", 7),
    "theme": (lambda c: "/themes/t0/", 9),
    # As without the chart (it reads the trail loaded): the page's pin in test_query_counts.py says
    # what the 10 are (the data's tokens, the reader's permissions and Follow state in one of them:
    # selectors.reader_state).
    "commitment": (lambda c: f"/commitments/{c.pk}/", 10),
    "overview charts as of": (lambda c: f"/overview/charts/?as_of={days_ago(20).isoformat()}", 7),
    "theme as of": (lambda c: f"/themes/t0/?as_of={days_ago(20).isoformat()}", 9),
}


@pytest.mark.parametrize("name", PAGES)
def test_chart_queries_do_not_grow_with_the_data(
    viewer_client, make_commitments, editor, name, django_assert_num_queries
):
    url_of, queries = PAGES[name]

    def build(n):
        made = make_commitments(n)
        for i, c in enumerate(made):
            for days, progress in ((400 - i, 10), (100 - i, 40), (30 - i, 60)):
                post(c, editor, days, Status.ON_TRACK if progress < 60 else Status.AT_RISK, progress)
        return made

    first = build(3)[0]
    with django_assert_num_queries(queries):
        assert viewer_client.get(url_of(first)).status_code == 200
    build(20)
    with django_assert_num_queries(queries):
        assert viewer_client.get(url_of(first)).status_code == 200
