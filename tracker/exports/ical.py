"""Calendar feeds as iCalendar (RFC 5545) files, for calendar programs to subscribe to.

`feed_calendar()` says what a feed is, as icalendar objects (icalendar's value types escape the
text and write the dates). `feed_bytes()` writes the same file straight from the events, because
building and serializing icalendar objects costs about 150 ms per 1,000 events (every value gets
its own parameter dictionary, every line is folded character by character) and a feed's budget is
100 ms for the whole response. A test holds the two to the same bytes, and the feeds are parsed
back with icalendar in the tests.
"""

import datetime

import icalendar
from django.conf import settings
from icalendar.prop import vDDDTypes, vInt, vText, vUri

from ..selectors.calendar import FeedEvent

PRODID = "-//Dialogue Commitments Tracker//Calendar feed//EN"
# RFC 5545 3.1: a content line is folded after 75 octets (CRLF, then a space).
LINE_OCTETS = 75
END_CALENDAR = "END:VCALENDAR\r\n"
ONE_DAY = datetime.timedelta(days=1)


def feed_calendar(name: str, events: list[FeedEvent]) -> icalendar.Calendar:
    """A calendar called `name` holding `events`, each an all-day event."""
    calendar = icalendar.Calendar()
    calendar["PRODID"] = vText(PRODID)
    calendar["VERSION"] = vText("2.0")
    calendar["CALSCALE"] = vText("GREGORIAN")
    calendar["X-WR-CALNAME"] = vText(name)
    # How often to fetch it again: RFC 7986's property, and the older one Outlook and Apple read.
    every = datetime.timedelta(minutes=settings.TRACKER_CALENDAR_REFRESH_MINUTES)
    calendar["REFRESH-INTERVAL"] = vDDDTypes(every)
    calendar["REFRESH-INTERVAL"].params["VALUE"] = "DURATION"
    calendar["X-PUBLISHED-TTL"] = vDDDTypes(every)
    for event in events:
        calendar.add_component(_event(event))
    return calendar


def _event(event: FeedEvent) -> icalendar.Event:
    component = icalendar.Event()
    component["UID"] = vText(event.uid)
    # Without a METHOD, DTSTAMP is when the event's information last changed (RFC 5545 3.8.7.2).
    stamp = vDDDTypes(event.changed_at.astimezone(datetime.UTC))
    component["DTSTAMP"] = stamp
    component["LAST-MODIFIED"] = stamp
    component["SEQUENCE"] = vInt(event.sequence)
    # All day: DTSTART and DTEND are dates (VALUE=DATE), DTEND the day after (exclusive).
    component["DTSTART"] = vDDDTypes(event.day)
    component["DTEND"] = vDDDTypes(event.day + datetime.timedelta(days=1))
    component["SUMMARY"] = vText(event.summary)
    # The link, and nothing else: a calendar is not the place for rationales or update texts.
    component["URL"] = vUri(event.url)
    component["DESCRIPTION"] = vText(event.url)
    component["STATUS"] = vText(_status(event))
    # A reminder of a date, not a meeting: it does not make the person look busy.
    component["TRANSP"] = vText("TRANSPARENT")
    return component


def _status(event: FeedEvent) -> str:
    return "CANCELLED" if event.cancelled else "CONFIRMED"


def feed_bytes(name: str, events: list[FeedEvent]) -> bytes:
    """`feed_calendar(name, events).to_ical()`, written directly: the calendar's own lines by
    icalendar, each event's here, in the order icalendar writes them."""
    head = feed_calendar(name, []).to_ical().decode()
    assert head.endswith(END_CALENDAR)
    lines = [head.removesuffix(END_CALENDAR)]
    for event in events:
        stamp = _utc_stamp(event.changed_at)
        lines.append(
            "BEGIN:VEVENT\r\n"
            f"{_fold('SUMMARY:' + _text(event.summary))}\r\n"
            f"DTSTART;VALUE=DATE:{_day(event.day)}\r\n"
            f"DTEND;VALUE=DATE:{_day(event.day + ONE_DAY)}\r\n"
            f"DTSTAMP:{stamp}\r\n"
            f"{_fold('UID:' + _text(event.uid))}\r\n"
            f"SEQUENCE:{event.sequence}\r\n"
            f"{_fold('DESCRIPTION:' + _text(event.url))}\r\n"
            f"LAST-MODIFIED:{stamp}\r\n"
            f"STATUS:{_status(event)}\r\n"
            "TRANSP:TRANSPARENT\r\n"
            f"{_fold('URL:' + event.url)}\r\n"
            "END:VEVENT\r\n"
        )
    lines.append(END_CALENDAR)
    return "".join(lines).encode()


# strftime() is a tenth of the time of a 500-event feed; these give the same text.
def _day(day: datetime.date) -> str:
    return f"{day.year:04d}{day.month:02d}{day.day:02d}"


def _utc_stamp(moment: datetime.datetime) -> str:
    utc = moment.astimezone(datetime.UTC)
    return f"{_day(utc)}T{utc.hour:02d}{utc.minute:02d}{utc.second:02d}Z"


def _text(value: str) -> str:
    """A TEXT value escaped as RFC 5545 3.3.11 (and icalendar) escape it."""
    return (
        value.replace(r"\N", "\n")
        .replace("\\", "\\\\")
        .replace(";", r"\;")
        .replace(",", r"\,")
        .replace("\r\n", r"\n")
        .replace("\n", r"\n")
        .replace("\r", r"\n")
    )


def _fold(line: str) -> str:
    """`line` folded as icalendar folds it: after 74 octets, never inside a UTF-8 character nor
    just after a backslash or caret (an escape split across lines confuses some readers)."""
    if len(line) < LINE_OCTETS and line.isascii():
        return line
    if not line.isascii():
        return _fold_by_octets(line)
    parts, start = [], 0
    while len(line) - start >= LINE_OCTETS:
        end = start + LINE_OCTETS - 1
        if line[end - 1] in "\\^" and end - 1 > start:
            end -= 1
        parts.append(line[start:end])
        start = end
    parts.append(line[start:])
    return "\r\n ".join(parts)


def _fold_by_octets(line: str) -> str:
    parts, current, size = [], [], 0
    for char in line:
        width = len(char.encode())
        if current and size + width >= LINE_OCTETS:
            carried = current.pop() if len(current) > 1 and current[-1] in "\\^" else None
            parts.append("".join(current))
            current, size = ([carried], len(carried.encode())) if carried else ([], 0)
        current.append(char)
        size += width
    parts.append("".join(current))
    return "\r\n ".join(parts)
