"""Links as the pages write them, for the places that write hundreds of them.

A link on a page about a past day keeps that day (`?as_of=`), so a reader who follows it stays in
the past: `dated` is that rule, behind the {% dated %} and {% dated_url %} tags as well. Where a page
links every card or row to the same URL pattern (the overview's 120 cards and their 700 status
links), `reverser` reverses the pattern once and fills in each argument: a reverse() per link was
a third of the overview's rendering; `id_reverser` does the same for a pattern that ends in a row's
id (the withdraw form on each update of a trail).
"""

import datetime
from collections.abc import Callable
from urllib.parse import quote, urlencode

from django.urls import reverse
from django.utils.http import RFC3986_SUBDELIMS

# What reverse() leaves unquoted in a path (django.urls.resolvers): the argument filled in by
# reverser is quoted the same way, so both give the same link.
SAFE_IN_PATH = RFC3986_SUBDELIMS + "/~:@"
ARGUMENT = "reversed-once"
# An id reversed in place of a row's (an int converter takes only digits), then replaced by each
# one: a number no other part of a URL holds.
ID_PLACEHOLDER = 918273645546372819


def as_of_params(day: datetime.date | None) -> dict[str, str]:
    """The query parameter that keeps the as-of `day` (none for today)."""
    return {"as_of": day.isoformat()} if day else {}


def dated(url: str, day: datetime.date | None) -> str:
    """`url` keeping the as-of `day` (None, today: nothing to keep)."""
    if not day:
        return url
    return f"{url}{'&' if '?' in url else '?'}{urlencode(as_of_params(day))}"


def with_query(url: str, params: dict) -> str:
    """`url` with the query parameters `params` in their order, empty ones (None, "") left out."""
    query = {name: value for name, value in params.items() if value not in (None, "")}
    return f"{url}?{urlencode(query)}" if query else url


def reverser(view_name: str) -> Callable[[str], str]:
    """A function giving `reverse(view_name, args=[argument])` for any slug argument, the pattern
    reversed once (in the request that uses it: the script prefix is the request's). For ids:
    id_reverser."""
    before, _, after = reverse(view_name, args=[ARGUMENT]).rpartition(ARGUMENT)
    return lambda argument: f"{before}{quote(str(argument), safe=SAFE_IN_PATH)}{after}"


def id_reverser(view_name: str, *args) -> Callable[[int], str]:
    """A function giving `reverse(view_name, args=[*args, pk])` for any id `pk`, the pattern
    reversed once (in the request that uses it)."""
    before, _, after = reverse(view_name, args=[*args, ID_PLACEHOLDER]).rpartition(str(ID_PLACEHOLDER))
    return lambda pk: f"{before}{int(pk)}{after}"
