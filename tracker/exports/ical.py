"""Calendar feeds as iCalendar (RFC 5545) files, for calendar programs to subscribe to.

The calendar and its events are icalendar objects, with icalendar's value types (which escape text
and write dates); only the last step, turning them into lines, is done here: icalendar's own
`to_ical()` folds every line character by character, which costs about 90 ms per 1,000 events, and
a feed's budget is 100 ms for the whole response. `serialize()` writes the same bytes (a test holds
it to `to_ical()`), folding only the lines that need it.
"""

import datetime

import icalendar
from django.conf import settings
from icalendar.prop import vDDDTypes, vInt, vText, vUri

from ..selectors.calendar import FeedEvent

PRODID = "-//Dialogue Commitments Tracker//Calendar feed//EN"
# RFC 5545 3.1: a content line is folded after 75 octets (CRLF, then a space).
LINE_OCTETS = 75


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
    component["STATUS"] = vText("CANCELLED" if event.cancelled else "CONFIRMED")
    # A reminder of a date, not a meeting: it does not make the person look busy.
    component["TRANSP"] = vText("TRANSPARENT")
    return component


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


def _as_text(value) -> str:
    text = value.to_ical() if hasattr(value, "to_ical") else value  # BEGIN and END come as bytes
    return text.decode() if isinstance(text, bytes) else text


def serialize(calendar: icalendar.Calendar) -> bytes:
    """`calendar` as an iCalendar file: what `calendar.to_ical()` gives, much faster."""
    lines = []
    for name, value in calendar.property_items():
        params = getattr(value, "params", None)
        params_text = _as_text(params) if params else ""
        head = f"{name};{params_text}" if params_text else name
        lines.append(_fold(f"{head}:{_as_text(value)}"))
    lines.append("")
    return "\r\n".join(lines).encode()
