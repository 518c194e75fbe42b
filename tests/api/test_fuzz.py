"""Schemathesis fuzzes every operation of /api/v1/openapi.json in-process (WSGI), with a valid
credential of each kind (terminal key, operator key, member token) on seeded data, with valid
and invalid inputs.

Pass: no 5xx, and no answer outside the document (status, content type, headers, body).
The suite runs a bounded number of examples per operation and mode (FUZZ_EXAMPLES, default
15); `make fuzz` runs many more.
"""

import os

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from sqlalchemy import select

from tests.api import world as w
from valliance import create_app
from valliance.config import TestConfig
from valliance.extensions import db
from valliance.members import services as members
from valliance.members.models import Member

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "15"))
#: the suite's run is the same every time (no flaky CI); a larger run explores anew
DERANDOMIZE = "FUZZ_EXAMPLES" not in os.environ
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance,
          response_headers_conformance, response_schema_conformance]
#: the credential each scheme of the document stands for
KINDS = {"terminalKey": "terminal", "operatorKey": "operator", "memberToken": "member"}


def _operations() -> list[tuple[str, str]]:
    """Every operation the document lists (read at collection: new routes join by themselves)."""

    class Config(TestConfig):
        SECRET_KEY = "fuzz"  # noqa: S105
        DATABASE_URL = "sqlite://"  # the document needs no database

    document = create_app(Config).test_client().get("/api/v1/openapi.json").get_json()
    return sorted((method.upper(), path) for path, item in document["paths"].items()
                  for method in item if method != "parameters")


def credential(app, world: w.World, case) -> dict:
    """The Authorization header the operation's document asks for (none for sign-in)."""
    schemes = [name for requirement in case.operation.definition.raw.get("security", [])
               for name in requirement]
    if not schemes:
        return {}
    if case.method.upper() == "DELETE":  # signing out revokes the token: sign out a fresh one
        with app.app_context():
            member = db.session.scalar(select(Member).where(Member.phone == w.MEMBER_PHONE))
            token, _ = members.create_token(db.session, member)
            db.session.commit()
        return {"Authorization": f"Bearer {token}"}
    return world.bearer(KINDS[schemes[0]])


def seed_rows(app, world: w.World) -> dict:
    """A purchase and a referral, so that generated requests can name real ones."""
    client = app.test_client()
    purchase = client.post("/api/v1/pos/purchases", json={"card": world.card, "amount": 12850},
                           headers={**world.bearer("terminal"), "Idempotency-Key": "seed"})
    referral = client.post("/api/v1/directory/referrals", headers=world.bearer("operator"),
                           json={"caller": w.MEMBER_PHONE, "merchant_id": world.merchant_id})
    return {"purchase_id": purchase.get_json()["id"], "referral_id": referral.get_json()["id"],
            "phone": w.MEMBER_PHONE}


def use_seeded_data(case, world: w.World, seeded: dict) -> None:
    """Point a generated request at the seeded card, member, merchant and rows."""
    for name in list(case.path_parameters or {}):
        if name in seeded:
            case.path_parameters[name] = seeded[name]
    if isinstance(case.body, dict):
        for name, value in (("card", world.card), ("caller", w.MEMBER_PHONE),
                            ("merchant_id", world.merchant_id), ("offer_id", world.offer_id),
                            ("phone", w.MEMBER_PHONE), ("password", w.PASSWORD)):
            if name in case.body:
                case.body[name] = value


@pytest.mark.parametrize(("method", "path"), _operations())
def test_no_input_makes_a_5xx_or_an_undocumented_answer(app, method, path):
    world = w.build(app)
    seeded = seed_rows(app, world)
    operation = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)[path][method]
    cases = st.one_of(operation.as_strategy(GenerationMode.POSITIVE),
                      operation.as_strategy(GenerationMode.NEGATIVE))

    @given(case=cases, real=st.booleans())
    @settings(max_examples=EXAMPLES * 2, deadline=None, derandomize=DERANDOMIZE, database=None,
              suppress_health_check=list(HealthCheck))
    def fuzz(case, real):
        if real:  # half the examples name the seeded card and rows, to reach the success paths
            use_seeded_data(case, world, seeded)
        headers = {**(case.headers or {}), **credential(app, world, case)}
        case.call_and_validate(headers=headers, checks=CHECKS)

    fuzz()
