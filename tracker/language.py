"""The interface language a person chose, remembered on their profile and applied when they log in.

LocaleMiddleware reads the language cookie, then the browser's Accept-Language. The header's switch
(views/language.py) sets the cookie and, for a logged-in person, stores the choice; at login the
stored choice is handed to RememberedLanguageMiddleware, which sets the cookie on the login's
response, so the very next page is in their language on any computer.
"""

from django.conf import settings
from django.contrib.auth.signals import user_logged_in
from django.utils.translation import check_for_language

# Set on the request at login; RememberedLanguageMiddleware turns it into the cookie.
LANGUAGE_TO_APPLY = "tracker_language_to_apply"


def is_offered(code: str) -> bool:
    return code in dict(settings.LANGUAGES) and check_for_language(code)


def language_remember(*, user, language: str) -> None:
    """Store `language` as `user`'s choice (an unknown code is ignored)."""
    from .models import Profile

    if user.is_authenticated and is_offered(language):
        Profile.objects.update_or_create(user=user, defaults={"language": language})


def remembered_language(user) -> str:
    from .models import Profile

    return Profile.objects.filter(user=user).values_list("language", flat=True).first() or ""


def set_language_cookie(response, language: str) -> None:
    """The cookie exactly as Django's set_language view writes it."""
    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME,
        language,
        max_age=settings.LANGUAGE_COOKIE_AGE,
        path=settings.LANGUAGE_COOKIE_PATH,
        domain=settings.LANGUAGE_COOKIE_DOMAIN,
        secure=settings.LANGUAGE_COOKIE_SECURE,
        httponly=settings.LANGUAGE_COOKIE_HTTPONLY,
        samesite=settings.LANGUAGE_COOKIE_SAMESITE,
    )


def _apply_at_login(sender, request, user, **kwargs):
    if request is None:  # a login made outside a request (a test's force_login without one)
        return
    language = remembered_language(user)
    if is_offered(language):
        setattr(request, LANGUAGE_TO_APPLY, language)


def connect_signals() -> None:
    user_logged_in.connect(_apply_at_login, dispatch_uid="tracker-language-at-login")


class RememberedLanguageMiddleware:
    """Sets the language cookie on the response of the request that logged a person in."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        language = getattr(request, LANGUAGE_TO_APPLY, None)
        if language:
            set_language_cookie(response, language)
        return response
