"""GET /api/v1/directory/offers over HTTP (contract §6): the answer's shape, caller pricing,
validation, pagination and privacy. Matching and ranking are tested against the search
module itself (tests/integration/test_directory_search.py)."""

import sqlite3

import pytest
from sqlalchemy import select

from tests.api.pos_helpers import member
from tests.conftest import ON_POSTGRES
from valliance.directory import services
from valliance.directory.models import CallerLookup
from valliance.directory.schemas import OffersOut
from valliance.extensions import db
from valliance.merchants.services.offers import create_offer
from valliance.merchants.services.onboarding import create_merchant

OFFERS = "/api/v1/directory/offers"


@pytest.fixture
def operator(app):
    with app.app_context():
        _, key = services.create_operator(db.session, "一号台")
        db.session.commit()
        return {"Authorization": f"Bearer {key}"}


@pytest.fixture
def hotpot(app):
    """老王火锅: 12 % off, 2 points per yuan, gold rate 15 %."""
    with app.app_context():
        merchant = create_merchant(
            db.session, name="老王火锅", category="餐饮", district="鹿城区", address="五马街88号",
            phone="0577-88880001", avg_spend=8000, approved=True)
        offer = create_offer(db.session, merchant, title="V卡8.8折", percent_off=12,
                             points_per_yuan=2, tier_percent_off={"gold": 15})
        db.session.commit()
        return {"merchant_id": merchant.id, "offer_id": offer.id}


def test_the_answer_has_the_contract_shape(client, operator, hotpot):
    response = client.get(OFFERS, query_string={"q": "火锅"}, headers=operator)
    assert response.status_code == 200
    body = response.get_json()
    assert body["caller"] is None and body["total"] == 1
    [result] = body["results"]
    assert result == {
        "merchant": {"id": hotpot["merchant_id"], "name": "老王火锅", "category": "餐饮",
                     "district": "鹿城区", "address": "五马街88号", "phone": "0577-88880001",
                     "avg_spend": 8000},
        "offer": {"id": hotpot["offer_id"], "title": "V卡8.8折", "percent_off": 12,
                  "label": "8.8折", "points_per_yuan": 2, "valid_until": None},
        "effective_percent": 14,
        "script": result["script"],
    }
    assert result["script"].startswith("持V卡到老王火锅消费可享8.8折")


def _fields(schema) -> dict:
    """A marshmallow schema's field names, nested schemas opened."""
    shape = {}
    for name, field in schema.fields.items():
        inner = getattr(field, "inner", field)  # a List's items
        nested = getattr(inner, "schema", None)
        shape[name] = _fields(nested) if nested is not None else None
    return shape


def _keys(value) -> dict | None:
    if isinstance(value, list):
        return _keys(value[0]) if value else None
    if isinstance(value, dict):
        return {key: _keys(item) for key, item in value.items()}
    return None


def test_the_documented_schema_is_the_answer(app, client, operator, hotpot):
    """The route renders offer_json as it is; OffersOut documents it in the OpenAPI document,
    and must name the same fields."""
    with app.app_context():
        member(db.session, tier="gold", phone="13800138000")
    body = client.get(OFFERS, query_string={"q": "火锅", "caller": "13800138000"},
                      headers=operator).get_json()
    assert _keys(body) == _fields(OffersOut())


def test_a_gold_caller_is_priced_at_gold_and_the_lookup_is_logged(app, client, operator,
                                                                  hotpot):
    with app.app_context():
        member(db.session, tier="gold", phone="13800138000")
    body = client.get(OFFERS, query_string={"q": "huoguo", "caller": "13800138000"},
                      headers=operator).get_json()
    assert body["caller"] == {"has_vcard": True, "tier": "gold"}
    [result] = body["results"]
    assert result["offer"]["percent_off"] == 15 and result["offer"]["label"] == "8.5折"
    assert result["effective_percent"] == 18  # 15 + 2 × 1.5 × 1
    assert "每消费1元积3分" in result["script"]
    with app.app_context():
        assert db.session.scalar(select(CallerLookup.found)) is True


def test_a_caller_without_a_vcard_is_priced_at_standard(client, operator, hotpot):
    body = client.get(OFFERS, query_string={"q": "hg", "caller": "13911112222"},
                      headers=operator).get_json()
    assert body["caller"] == {"has_vcard": False, "tier": None}
    assert body["results"][0]["offer"]["percent_off"] == 12


def test_the_answer_never_carries_a_callers_name_or_balance(app, client, operator, hotpot):
    with app.app_context():
        member(db.session, tier="gold", phone="13800138000")
    text = client.get(OFFERS, query_string={"caller": "13800138000"},
                      headers=operator).get_data(as_text=True)
    assert "王小明" not in text and "balance" not in text and "13800138000" not in text


@pytest.mark.parametrize("args, field", [
    ({"limit": "0"}, "limit"), ({"limit": "101"}, "limit"), ({"limit": "x"}, "limit"),
    ({"offset": "-1"}, "offset"), ({"category": "火锅"}, "category"),
    ({"caller": "12345"}, "phone"), ({"q": "火" * 51}, "q"),
])
def test_bad_query_parameters_are_422(client, operator, hotpot, args, field):
    response = client.get(OFFERS, query_string=args, headers=operator)
    assert response.status_code == 422
    assert field in response.get_json()["details"]


def test_pagination_with_limit_and_offset(app, client, operator):
    with app.app_context():
        for i in range(5):
            merchant = create_merchant(db.session, name=f"咖啡馆{i}", category="餐饮",
                                       district="鹿城区", avg_spend=3000,
                                       approved=True)
            create_offer(db.session, merchant, title="咖啡", percent_off=10 + i)
        db.session.commit()
    first = client.get(OFFERS, query_string={"q": "咖啡", "limit": 2},
                       headers=operator).get_json()
    rest = client.get(OFFERS, query_string={"q": "咖啡", "limit": 2, "offset": 2},
                      headers=operator).get_json()
    beyond = client.get(OFFERS, query_string={"q": "咖啡", "offset": 10},
                        headers=operator).get_json()
    assert first["total"] == rest["total"] == beyond["total"] == 5
    assert [r["offer"]["percent_off"] for r in first["results"] + rest["results"]] == [
        14, 13, 12, 11]
    assert beyond["results"] == []


@pytest.mark.skipif(ON_POSTGRES, reason="SQLite's write lock")
def test_a_search_does_not_wait_for_a_write_in_progress(app, client, operator, hotpot):
    """SQLite: a search without a caller only reads, so it does not queue for the write lock
    behind a sale in progress (with a caller, the lookup is logged: it waits its turn)."""
    with app.app_context():
        path = db.engine.url.database
    writer = sqlite3.connect(path, isolation_level=None)
    writer.execute("BEGIN IMMEDIATE")
    try:
        response = client.get(OFFERS, query_string={"q": "火锅"}, headers=operator)
    finally:
        writer.rollback()
        writer.close()
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["total"] == 1
