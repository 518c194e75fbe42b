"""Static URLs carry the file's fingerprint, so browsers and nginx may keep them a year."""

import hashlib
import os
import re
from pathlib import Path

from flask import url_for

from valliance.site.static_urls import _digest


def test_static_urls_carry_the_files_sha256_and_pages_use_them(app, client):
    css = Path(app.static_folder, "css", "site.css")
    expected = hashlib.sha256(css.read_bytes()).hexdigest()[:12]
    with app.test_request_context():
        assert url_for("static", filename="css/site.css") == f"/static/css/site.css?v={expected}"
        assert url_for("static", filename="css/no-such-file.css") == "/static/css/no-such-file.css"
        assert "v=" not in url_for("static", filename="../wsgi.py")
    html = client.get("/").get_data(as_text=True)
    assert f"/static/css/site.css?v={expected}" in html
    assert not re.search(r'(?:href|src)="/static/[^"?]+"', html)  # none without its fingerprint


def test_a_fingerprint_changes_when_the_file_does(tmp_path):
    css = tmp_path / "a.css"
    css.write_text("body { color: red }")
    first = _digest(str(tmp_path), "a.css")
    assert first == _digest(str(tmp_path), "a.css")
    css.write_text("body { color: blue }")
    os.utime(css, ns=(css.stat().st_atime_ns, css.stat().st_mtime_ns + 1_000_000))
    assert _digest(str(tmp_path), "a.css") not in (None, first)
    assert _digest(str(tmp_path), "../a.css") is None and _digest(str(tmp_path), "b.css") is None


def test_other_files_the_app_sends_keep_flasks_cache_rule(app, client):
    # the payments pages' own static folder: not the fingerprinted app static
    response = client.get("/me/pay/static/payments.css")
    assert response.status_code == 200 and response.cache_control.max_age is None


def test_a_fingerprinted_file_is_kept_a_year_and_a_plain_one_an_hour(app, client):
    with app.test_request_context():
        url = url_for("static", filename="css/site.css")
    kept = client.get(url)
    assert kept.status_code == 200
    assert kept.cache_control.max_age == 365 * 24 * 3600 and kept.cache_control.immutable
    plain = client.get("/static/css/site.css")
    assert plain.status_code == 200
    assert plain.cache_control.max_age == 3600 and not plain.cache_control.immutable
