"""An /api/ URL answers problem details, never an HTML page or a redirect to the login form."""

import pytest

pytestmark = pytest.mark.django_db


def test_an_unknown_api_address_answers_a_problem_in_json(client, django_user_model):
    client.force_login(django_user_model.objects.create(username="ann"))
    response = client.get("/api/v1/nothing-here/")
    assert response.status_code == 404
    assert response["Content-Type"] == "application/problem+json"
    assert response.json() == {
        "type": "about:blank",
        "title": "Not Found",
        "status": 404,
        "detail": "There is nothing at this address.",
    }


def test_an_api_address_is_not_redirected_to_the_login_page(client):
    response = client.get("/api/v1/nothing-here/")
    assert response.status_code == 404
    assert response["Content-Type"] == "application/problem+json"


def test_a_page_still_sends_a_visitor_to_log_in(client):
    response = client.get("/commitments/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")
