"""The API's blueprints (chalicelib.api.http.Resource) register on any number of apps, as the
infrastructure's packaging imports app.py afresh for each stack, and each registration takes the
stage's Cognito authorizer for the signed-in routes only."""

import pytest
from chalice import Chalice

from chalicelib.api.campaigns import campaigns
from chalicelib.api.pages import pages


@pytest.fixture(autouse=True)
def served_app_kept():
    """A blueprint answers through the app it was registered on last: after registering these on
    other apps, point them back at the one the other tests serve."""
    kept = {blueprint: blueprint._current_app for blueprint in (campaigns, pages)}
    yield
    for blueprint, app in kept.items():
        blueprint._current_app = app


def _app(monkeypatch, auth: str) -> Chalice:
    monkeypatch.setenv("VETRINA_AUTH", auth)
    monkeypatch.setenv("VETRINA_USER_POOL_ARN", f"arn:aws:cognito-idp:eu-west-1:000000000000:userpool/{auth}-pool")
    app = Chalice(app_name="vetrina")
    for blueprint in (campaigns, pages):
        app.register_blueprint(blueprint)
    return app


def test_blueprints_register_on_a_second_app_with_that_stages_authorizer(monkeypatch):
    local = _app(monkeypatch, "local")
    first, second = _app(monkeypatch, "cognito"), _app(monkeypatch, "cognito")
    for app in (local, first, second):
        assert set(app.routes["/campaigns/{campaign_id}"]) == {"GET", "PUT"}
    assert local.routes["/campaigns"]["GET"].authorizer is None
    for app in (first, second):
        authorizer = app.routes["/campaigns"]["GET"].authorizer
        assert authorizer.name == "vetrina-users"
        assert authorizer.to_swagger()["x-amazon-apigateway-authorizer"]["providerARNs"] == [
            "arn:aws:cognito-idp:eu-west-1:000000000000:userpool/cognito-pool"
        ]
        assert app.routes["/openapi.json"]["GET"].authorizer is None
