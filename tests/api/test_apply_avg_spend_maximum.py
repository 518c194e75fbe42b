"""The merchant application's typical spend: an absurd figure is told the maximum, in yuan."""

import pytest

from tests.api.test_merchant_apply import apply_on_web, errors_of, merchant_count
from valliance.errors import ValidationError
from valliance.merchants.services import application_checks


@pytest.mark.parametrize("typed", ["100000.01", "99999999", "99999999999", "9" * 20,
                                   "99999999999.99", "１２３４５６７８９０１２"])
def test_a_typical_spend_over_the_maximum_is_told_the_maximum_in_yuan(typed):
    with pytest.raises(ValidationError) as caught:
        application_checks.parse_yuan(typed)
    message = caught.value.details["avg_spend"][0]
    assert "最多 ¥100,000.00" in message and "at most ¥100,000.00" in message
    assert "两位小数" not in message


@pytest.mark.parametrize("lang, expected", [("zh_CN", "最多 ¥100,000.00"),
                                            ("en", "at most ¥100,000.00")])
def test_the_apply_form_says_the_maximum_and_writes_nothing(app, client, lang, expected):
    client.get(f"/merchant/apply?lang={lang}")
    response = apply_on_web(client, avg_spend="99999999999")
    assert response.status_code == 200  # the form again, with its messages
    messages = " ".join(errors_of(response))
    assert expected in messages and "两位小数" not in messages
    assert "decimals" not in messages
    assert merchant_count(app) == 0
