"""The JSON API under /api/v1/ (Django REST Framework, described by drf-spectacular). It reads
through the same FilterSet and selectors as the pages and writes through the same services."""
