from django.urls import path  # noqa: F401  (the endpoints are added here)

from . import updates

app_name = "api"

urlpatterns: list = [
    path("commitments/<int:pk>/updates/", updates.StatusUpdateCreate.as_view(), name="statusupdate_create"),
]
