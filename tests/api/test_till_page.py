"""The till page: served as static HTML under the strict CSP, with /static assets only."""

import re
from html.parser import HTMLParser


class _Assets(HTMLParser):
    def __init__(self):
        super().__init__()
        self.scripts: list[dict] = []
        self.links: list[dict] = []
        self.style_tags = 0
        self.inline_attrs: list[tuple[str, str]] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "script":
            self.scripts.append(attrs)
        elif tag == "link":
            self.links.append(attrs)
        elif tag == "style":
            self.style_tags += 1
        self.inline_attrs += [(tag, name) for name in attrs
                              if name == "style" or name.startswith("on")]


def _page(client):
    response = client.get("/till/")
    assert response.status_code == 200
    return response, response.get_data(as_text=True)


def test_the_till_page_is_served_under_the_strict_csp(client):
    response, html = _page(client)
    assert response.mimetype == "text/html"
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "style-src 'self'" in csp
    assert 'id="card"' in html and 'inputmode="numeric"' in html
    assert "确认收款" in html and "退款" in html and "用摄像头扫码" in html


def test_no_inline_script_or_style_and_only_static_assets(client):
    _, html = _page(client)
    parser = _Assets()
    parser.feed(html)
    assert parser.style_tags == 0
    assert parser.inline_attrs == []
    assert parser.scripts, "the page needs its script"
    for script in parser.scripts:
        assert script.get("src", "").startswith("/static/"), script
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html)
    for link in parser.links:
        assert link["href"].startswith("/static/"), link
    assert not re.search(r"(src|href)=\"(https?:)?//", html)


def test_the_card_field_is_autofocused_by_the_script_and_assets_exist(client):
    _, html = _page(client)
    for path in ("/static/js/till.js", "/static/css/till.css"):
        assert path in html
        asset = client.get(path)
        assert asset.status_code == 200
        asset.close()
    script = client.get("/static/js/till.js")
    body = script.get_data(as_text=True)
    script.close()
    assert '$("card").focus()' in body
    assert "Idempotency-Key" in body
    # Money is never parsed as a float.
    assert "parseFloat" not in body and "toFixed" not in body
