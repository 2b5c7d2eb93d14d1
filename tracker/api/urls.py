from django.contrib.auth.decorators import login_required
from django.urls import path
from drf_spectacular.views import SpectacularAPIView

from . import updates, views
from .docs import DocsView

app_name = "api"

urlpatterns = [
    path("dialogues/", views.DialogueList.as_view(), name="dialogue_list"),
    path("dialogues/<slug:slug>/", views.DialogueDetail.as_view(), name="dialogue_detail"),
    path("dialogues/<slug:slug>/scorecard/", views.DialogueScorecard.as_view(), name="dialogue_scorecard"),
    path("themes/", views.ThemeList.as_view(), name="theme_list"),
    path("themes/<slug:slug>/", views.ThemeDetail.as_view(), name="theme_detail"),
    path("agencies/", views.AgencyList.as_view(), name="agency_list"),
    path("agencies/<slug:slug>/", views.AgencyDetail.as_view(), name="agency_detail"),
    path("commitments/", views.CommitmentList.as_view(), name="commitment_list"),
    path("commitments/<int:pk>/", views.CommitmentDetail.as_view(), name="commitment_detail"),
    # The one write: a status update, through the same service as the page.
    path("commitments/<int:pk>/updates/", updates.StatusUpdateCreate.as_view(), name="statusupdate_create"),
    path("updates/", views.UpdateList.as_view(), name="update_list"),
    path("changes/", views.ChangeList.as_view(), name="change_list"),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    # A page for people: without a login it sends them to log in, as every page does.
    path("docs/", login_required(DocsView.as_view(url_name="api:schema")), name="docs"),
]
