"""One caller budget per operator key (contract §10): every lookup of a phone counts, through
GET /callers/{phone} and through a search with caller=; a 429 says when to retry."""

import pytest

from tests.api.test_directory_operators import CALLERS, operator  # noqa: F401

OFFERS = "/api/v1/directory/offers"
BUDGET = 120


def lookup(client, headers, how: str, phone: str):
    if how == "callers":
        return client.get(CALLERS + phone, headers=headers)
    return client.get(OFFERS, query_string={"q": "火锅", "caller": phone}, headers=headers)


def assert_rate_limited(response):
    assert response.status_code == 429, response.get_data(as_text=True)
    assert response.get_json()["error"] == "rate_limited"
    assert int(response.headers["Retry-After"]) > 0


@pytest.mark.parametrize("how", ["callers", "search"])
def test_searches_with_a_caller_spend_the_caller_budget(client, operator, how):  # noqa: F811
    answers = [lookup(client, operator["headers"], how, f"139{i:08d}").status_code
               for i in range(BUDGET)]
    assert answers == [200] * BUDGET
    assert_rate_limited(lookup(client, operator["headers"], how, "13900009999"))


def test_lookups_by_search_and_by_the_caller_route_share_one_budget(
        client, operator):  # noqa: F811
    for i in range(BUDGET):
        how = "search" if i % 2 else "callers"
        assert lookup(client, operator["headers"], how, f"139{i:08d}").status_code == 200
    assert_rate_limited(lookup(client, operator["headers"], "callers", "13900009999"))
    assert_rate_limited(lookup(client, operator["headers"], "search", "13900009998"))


def test_searches_without_a_caller_do_not_spend_the_caller_budget(
        client, operator):  # noqa: F811
    for _ in range(BUDGET + 5):
        assert client.get(OFFERS, query_string={"q": "火锅"},
                          headers=operator["headers"]).status_code == 200
    assert lookup(client, operator["headers"], "callers", "13900000001").status_code == 200
