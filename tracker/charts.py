"""Chart geometry: pure functions turning series into coordinates and axis ticks. The SVG markup
that draws them lives in templates/tracker/components/_chart_*.html."""

import datetime
from dataclasses import dataclass, field

from .rules import Status

# Bottom to top in a stacked bar: finished work at the base, trouble on top where it is seen.
STACK_ORDER = (
    Status.COMPLETED,
    Status.ON_TRACK,
    Status.NOT_STARTED,
    Status.AT_RISK,
    Status.OFF_TRACK,
    Status.DISCONTINUED,
)
# A marker shape for each status on the progress chart, so a status change reads without colour.
MARKER_SHAPES = {
    Status.NOT_STARTED: "circle",
    Status.ON_TRACK: "triangle",
    Status.AT_RISK: "diamond",
    Status.OFF_TRACK: "cross",
    Status.COMPLETED: "square",
    Status.DISCONTINUED: "bar",
}

# Each status's colour, as in app.css's custom properties (keep the two in step). Written on the
# charts' patterns as attributes: a browser's stylesheet overrides them, but WeasyPrint, drawing a
# briefing's chart into a PDF, reads SVG colours from attributes only.
STATUS_COLOURS = {
    Status.NOT_STARTED: "#5b6472",
    Status.ON_TRACK: "#1d7a3c",
    Status.AT_RISK: "#9a5b00",
    Status.OFF_TRACK: "#b3261e",
    Status.COMPLETED: "#1f4e9c",
    Status.DISCONTINUED: "#3f3f46",
}


@dataclass(frozen=True)
class Frame:
    """A chart's size and the margins around its plotting area, in SVG user units."""

    width: int
    height: int
    left: int = 40
    right: int = 10
    top: int = 10
    bottom: int = 36

    @property
    def x1(self) -> int:
        return self.width - self.right

    @property
    def y1(self) -> int:
        return self.height - self.bottom

    @property
    def plot_width(self) -> int:
        return self.x1 - self.left

    @property
    def plot_height(self) -> int:
        return self.y1 - self.top

    def y_of(self, value: float, top_value: float) -> float:
        return round(self.y1 - self.plot_height * value / top_value, 1) if top_value else self.y1


@dataclass
class Tick:
    at: float
    value: object  # a number or a date, formatted by the template


@dataclass
class Segment:
    status: str
    label: str
    count: int
    x: float
    y: float
    width: float
    height: float


@dataclass
class Bar:
    month: object  # a MonthMix
    x: float
    width: float
    centre: float
    segments: list[Segment]
    show_year: bool


@dataclass
class BarChart:
    frame: Frame
    bars: list[Bar]
    top_value: int
    y_ticks: list[Tick]
    legend = STACK_ORDER

    @property
    def months(self) -> list:
        return [bar.month for bar in self.bars]

    line: str = ""  # mean progress as polyline points, when asked for
    line_points: list[tuple[float, float]] = field(default_factory=list)


def nice_top(largest: int) -> tuple[int, int]:
    """A round top for a count axis at or above `largest`, and its tick step."""
    for step in (1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1000, 2000, 2500, 5000, 10000):
        if largest <= step * 5:
            return max(step, -(-largest // step) * step), step
    step = 10 ** len(str(largest))
    return -(-largest // step) * step, step


def stacked_bars(months, frame: Frame, gap: float = 0.25) -> BarChart:
    """One bar per month, its height in proportion to the commitments counted that month, split by
    status in STACK_ORDER."""
    top_value, step = nice_top(max((m.total for m in months), default=0))
    slot = frame.plot_width / max(len(months), 1)
    width = round(slot * (1 - gap), 1)
    bars = []
    for i, month in enumerate(months):
        x = round(frame.left + slot * i + (slot - width) / 2, 1)
        segments, below = [], 0
        for status in STACK_ORDER:
            count = month.counts[status]
            if count:
                y_top = frame.y_of(below + count, top_value)
                segments.append(
                    Segment(
                        status,
                        status.label,
                        count,
                        x,
                        y_top,
                        width,
                        round(frame.y_of(below, top_value) - y_top, 1),
                    )
                )
                below += count
        show_year = i == 0 or month.end.month == 1
        bars.append(Bar(month, x, width, round(x + width / 2, 1), segments, show_year))
    ticks = [Tick(frame.y_of(v, top_value), v) for v in range(0, top_value + 1, step)]
    return BarChart(frame, bars, top_value, ticks)


def percent_ticks(frame: Frame) -> list[Tick]:
    return [Tick(frame.y_of(v, 100), v) for v in (0, 25, 50, 75, 100)]


def mean_progress_line(months, frame: Frame) -> BarChart:
    """Each month's mean progress (0–100 %) as a line over the same month slots as stacked_bars."""
    chart = stacked_bars(months, frame)
    points = [
        (bar.centre, frame.y_of(bar.month.mean_progress, 100))
        for bar in chart.bars
        if bar.month.mean_progress is not None
    ]
    chart.line_points = points
    chart.line = " ".join(f"{x},{y}" for x, y in points)
    chart.y_ticks = percent_ticks(frame)
    return chart


@dataclass
class StepChart:
    frame: Frame
    start: datetime.date
    end: datetime.date
    line: str
    # One per update, as a dict the template only prints: x, y (written for the SVG), shape, path
    # (the marker's outline, when the status changed there), status, and the point's words (title,
    # day_label, status_label, progress_label, changed_words). Dicts, because a template reads a
    # dict's key at once, where every attribute of an object costs a failed key lookup first: the
    # marks of a trail of 50, looked up through objects, were a quarter of its page.
    marks: list[dict]
    description: str  # every point in words, for the chart's <desc>
    x_ticks: list[Tick]
    tick_format: str
    y_ticks: list[Tick]
    key: list[tuple[str, str, str]]  # (status, label, marker outline in a 14×14 box) of each status marked


def marker_path(shape: str, x: float, y: float, r: float = 6) -> str:
    """An outline of `shape` centred on (x, y)."""
    if shape == "circle":
        return f"M{x - r},{y} a{r},{r} 0 1,0 {2 * r},0 a{r},{r} 0 1,0 {-2 * r},0 Z"
    if shape == "triangle":
        return f"M{x},{y - r} L{x + r},{y + r * 0.8} L{x - r},{y + r * 0.8} Z"
    if shape == "diamond":
        return f"M{x},{y - r} L{x + r},{y} L{x},{y + r} L{x - r},{y} Z"
    if shape == "cross":
        a = r * 0.35
        return (
            f"M{x - r},{y - r + a} L{x - r + a},{y - r} L{x},{y - a} L{x + r - a},{y - r} L{x + r},{y - r + a} "
            f"L{x + a},{y} L{x + r},{y + r - a} L{x + r - a},{y + r} L{x},{y + a} L{x - r + a},{y + r} "
            f"L{x - r},{y + r - a} L{x - a},{y} Z"
        )
    if shape == "bar":
        return f"M{x - r},{y - r * 0.4} h{2 * r} v{r * 0.8} h{-2 * r} Z"
    return f"M{x - r * 0.85},{y - r * 0.85} h{r * 1.7} v{r * 1.7} h{-r * 1.7} Z"  # square


def date_ticks(start: datetime.date, end: datetime.date, most: int = 6) -> tuple[list[datetime.date], str]:
    """Round dates between `start` and `end` for an axis (first days of months, quarters or years),
    and the name of the format to label them with (|local_date: config/formats/<language>)."""
    if (end - start).days < 62:
        return ([start, end] if end > start else [start]), "SHORT_DATE_FORMAT"
    first, last = start.year * 12 + start.month, end.year * 12 + end.month  # months since year 0, 1-based
    for step in (1, 2, 3, 6, 12, 24, 60, 120):
        ticks = [
            datetime.date((m - 1) // 12, (m - 1) % 12 + 1, 1)
            for m in range(first, last + 1)
            if (m - 1) % step == 0 and datetime.date((m - 1) // 12, (m - 1) % 12 + 1, 1) >= start
        ]
        if len(ticks) <= most:
            return ticks, ("Y" if step >= 12 else "SHORT_YEAR_MONTH_FORMAT")
    return [start, end], "Y"


def progress_steps(points, start: datetime.date, end: datetime.date, frame: Frame) -> StepChart:
    """Progress as a step line from `start` (0 %, nothing reported) to `end`: flat until each update,
    then straight up or down to its progress. One vertex per update."""
    start = min([start, *(p.day for p in points)])
    end = max([end, *(p.day for p in points)])
    span = max((end - start).days, 1)

    def x_of(day):
        return round(frame.left + frame.plot_width * (day - start).days / span, 1)

    y = frame.y_of(0, 100)
    coordinates = [(x_of(start), y)]
    marks = []
    for point in points:
        x = x_of(point.day)
        coordinates.append((x, y))
        y = frame.y_of(point.progress, 100)
        coordinates.append((x, y))
        shape = MARKER_SHAPES[point.status]
        marks.append(
            {
                "x": str(x),
                "y": str(y),
                "shape": shape,
                "path": marker_path(shape, x, y) if point.status_changed else "",
                "status": point.status,
                "title": point.mark_title,
                "day_label": point.day_label,
                "status_label": point.status_label,
                "progress_label": point.progress_label,
                "changed_words": point.changed_words,
            }
        )
    coordinates.append((x_of(end), y))
    ticks, tick_format = date_ticks(start, end)
    marked = {mark["status"]: mark["status_label"] for mark in marks if mark["path"]}
    key = [(status, label, marker_path(MARKER_SHAPES[status], 7, 7)) for status, label in marked.items()]
    return StepChart(
        frame,
        start,
        end,
        " ".join(f"{x},{y}" for x, y in coordinates),
        marks,
        " ".join(point.described for point in points),
        [Tick(x_of(day), day) for day in ticks],
        tick_format,
        percent_ticks(frame),
        key,
    )
