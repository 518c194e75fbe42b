"""A message inside a message (an import row's problem quoting a field's rule) reads in one
language on a page and as "中文 / English" once, not both halves twice, for the shell."""

from valliance.i18n import bilingual, localized

RULE = bilingual("须在 0 到 90 之间")


def _problem():
    return bilingual("折扣 percent_off %(raw)s：%(problem)s", raw="'200'", problem=RULE)


def test_the_shell_reads_each_language_whole(app):
    assert str(_problem()) == ("折扣 percent_off '200'：须在 0 到 90 之间"
                               " / percent_off '200': between 0 and 90")


def test_a_page_reads_its_own_language_only(app):
    with app.test_request_context("/?lang=en"):
        assert localized(_problem()) == "percent_off '200': between 0 and 90"
    with app.test_request_context("/"):
        assert localized(_problem()) == "折扣 percent_off '200'：须在 0 到 90 之间"
