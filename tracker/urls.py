from django.urls import path

from . import views
from .views import assessments, briefing, calendar, dialogues, digests, drafting, evidence, follows, tokens

app_name = "tracker"

urlpatterns = [
    path("", views.overview, name="overview"),
    path("overview/charts/", views.overview_charts, name="overview_charts"),
    path("commitments/", views.commitment_list, name="commitment_list"),
    path("commitments/export.csv", views.commitment_export, name="commitment_export"),
    path("commitments/export.xlsx", views.commitment_export_xlsx, name="commitment_export_xlsx"),
    path("commitments/<int:pk>/", views.commitment_detail, name="commitment_detail"),
    path("commitments/<int:pk>/updates/", views.statusupdate_create, name="statusupdate_create"),
    path(
        "commitments/<int:pk>/updates/<int:update_pk>/withdraw/",
        views.statusupdate_withdraw,
        name="statusupdate_withdraw",
    ),
    path(
        "commitments/<int:pk>/updates/<int:update_pk>/restore/",
        views.statusupdate_restore,
        name="statusupdate_restore",
    ),
    path("commitments/<int:pk>/assessments/", assessments.assessment_create, name="assessment_create"),
    path("changes/", views.changes, name="changes"),
    path("changes/export.csv", views.changes_export, name="changes_export"),
    path("agencies/", views.agency_list, name="agency_list"),
    path("agencies/<slug:slug>/", views.agency_detail, name="agency_detail"),
    path("themes/<slug:slug>/", views.theme_detail, name="theme_detail"),
    path("dialogues/", dialogues.dialogue_list, name="dialogue_list"),
    path("dialogues/<slug:slug>/", dialogues.dialogue_detail, name="dialogue_detail"),
    path("dialogues/<slug:slug>/scorecard/", dialogues.dialogue_scorecard, name="dialogue_scorecard"),
    path(
        "dialogues/<slug:slug>/scorecard/export.csv",
        dialogues.dialogue_scorecard_export,
        name="dialogue_scorecard_export",
    ),
    path("dialogues/<slug:slug>/briefing/", briefing.dialogue_briefing, name="dialogue_briefing"),
    path("dialogues/<slug:slug>/briefing.pdf", briefing.dialogue_briefing_pdf, name="dialogue_briefing_pdf"),
    path(
        "dialogues/<slug:slug>/briefing.docx", briefing.dialogue_briefing_docx, name="dialogue_briefing_docx"
    ),
    path("sources/new/", drafting.source_create, name="source_create"),
    path("sources/<int:pk>/", views.source_detail, name="source_detail"),
    path("sources/<int:pk>/draft/", drafting.source_draft, name="source_draft"),
    path("sources/<int:pk>/draft/new/", drafting.commitment_draft, name="commitment_draft"),
    path("evidence/<int:pk>/", evidence.evidence_file, name="evidence_file"),
    path("account/api-tokens/", tokens.api_token_list, name="api_token_list"),
    path("account/api-tokens/<int:pk>/revoke/", tokens.api_token_revoke_view, name="api_token_revoke"),
    path("account/calendar/", calendar.calendar_feeds, name="calendar_feeds"),
    path("account/calendar/reset/", calendar.calendar_token_reset_view, name="calendar_token_reset"),
    # Fetched by calendar programs, which cannot log in: the token in the address stands for it.
    path("calendar/<str:token>/following.ics", calendar.calendar_following, name="calendar_following"),
    path(
        "calendar/<str:token>/dialogues/<slug:slug>.ics", calendar.calendar_dialogue, name="calendar_dialogue"
    ),
    path("following/", follows.following, name="following"),
    path("following/news/", follows.following_news, name="following_news"),
    path("following/digest/", follows.following_digest, name="following_digest"),
    path("following/<str:kind>/<int:pk>/follow/", follows.follow, name="follow"),
    path("following/<str:kind>/<int:pk>/unfollow/", follows.unfollow, name="unfollow"),
    path("digest/unsubscribe/<str:token>/", digests.digest_unsubscribe, name="digest_unsubscribe"),
    path("healthz", views.healthz, name="healthz"),
]
