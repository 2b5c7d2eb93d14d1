"""Page-number pagination for every API list: the site's page size, a bounded `page_size`, and a
page beyond the end answered 404 (a problem), not silently replaced by the last page."""

from django.conf import settings
from django.core.paginator import InvalidPage, Paginator
from django.utils.translation import gettext as _
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.pagination import PageNumberPagination
from rest_framework.response import Response

MAX_PAGE_SIZE = 100


class Pages(PageNumberPagination):
    page_size = settings.TRACKER_PAGE_SIZE
    page_size_query_param = "page_size"
    max_page_size = MAX_PAGE_SIZE

    def get_page_size(self, request):
        """The page size asked for, refused (not clamped in silence) when it is not 1 to 100."""
        text = request.query_params.get(self.page_size_query_param, "").strip()
        if not text:
            return self.page_size
        if not text.isdigit() or not 1 <= int(text) <= self.max_page_size:
            raise ValidationError(
                {"page_size": [_("Give a whole number from 1 to %(max)d.") % {"max": self.max_page_size}]}
            )
        return int(text)

    def paginate_known(self, queryset, request, count: int | None = None):
        """The page of `queryset` the request asks for; `count`, when the caller knows the total
        already (the list's facets counted it), saves the COUNT query."""
        self.request = request
        page_size = self.get_page_size(request)
        paginator = Paginator(queryset, page_size)
        if count is not None:
            paginator.count = count  # cached_property: set, it is never computed
        number = request.query_params.get(self.page_query_param, "1").strip() or "1"
        try:
            self.page = paginator.page(number)
        except InvalidPage:
            raise NotFound(_("There is no page %(page)s of these results.") % {"page": number[:20]}) from None
        return list(self.page)

    def paginate_queryset(self, queryset, request, view=None):
        return self.paginate_known(queryset, request)

    def get_paginated_response(self, data, **extra):
        return Response(
            {
                "count": self.page.paginator.count,
                "next": self.get_next_link(),
                "previous": self.get_previous_link(),
                **extra,
                "results": data,
            }
        )
