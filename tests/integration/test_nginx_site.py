"""deploy/nginx as production runs it: the real nginx in front of the real gunicorn.

The site file and its proxy snippet are copied with only what a machine fills in changed —
ports, the certificate (a self-signed one made here), the static folder, the snippet's path —
then checked with `nginx -t` and served. Through it: HTTP goes to HTTPS with HSTS, the app
sees HTTPS (Secure cookies), static files come from nginx (not the app) a year when their URL
carries the fingerprint and gzipped, a body over the app's limit stops at nginx, the caller's
X-Request-ID reaches the app's JSON log (nginx makes one otherwise), and /metrics is passed to
the app from an internal address. Skipped where nginx is not installed, unless
REQUIRE_NGINX=1 (CI installs Debian's nginx).
"""

import json
import os
import re
import shutil
import ssl
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from tests.conftest import ON_POSTGRES
from tests.processes import ROOT, free_port, gunicorn, server_environment
from valliance.config import Config

NGINX = shutil.which("nginx") or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None)
DEPLOY = ROOT / "deploy" / "nginx"
TOKEN = "nginx-site-metrics-token"  # noqa: S105 — a test's own

pytestmark = pytest.mark.skipif(
    not NGINX and os.environ.get("REQUIRE_NGINX") != "1",
    reason="nginx is not installed (set REQUIRE_NGINX=1 to fail instead)")


def _site(tmp: Path, app_port: int, http_port: int, https_port: int) -> Path:
    """deploy/nginx's files with a machine's own values filled in: the main configuration."""
    openssl = ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
               "-subj", "/CN=valliance.example.com", "-keyout", str(tmp / "privkey.pem"),
               "-out", str(tmp / "fullchain.pem")]
    subprocess.run(openssl, check=True, capture_output=True, timeout=60)
    snippet = tmp / "valliance-proxy.conf"
    shutil.copy(DEPLOY / "valliance-proxy.conf", snippet)
    site = (DEPLOY / "valliance.conf").read_text()
    for old, new in (("server 127.0.0.1:8000;", f"server 127.0.0.1:{app_port};"),
                     ("listen 80;", f"listen 127.0.0.1:{http_port};"),
                     ("listen 443 ssl", f"listen 127.0.0.1:{https_port} ssl"),
                     ("/etc/ssl/valliance/", f"{tmp}/"),
                     ("/srv/valliance/static/", f"{ROOT}/static/"),
                     ("/etc/nginx/snippets/valliance-proxy.conf", str(snippet))):
        assert old in site, old
        site = site.replace(old, new)
    site = re.sub(r"\n\s*listen \[::\]:\d+[^;]*;", "", site)  # IPv6 may be off here
    (tmp / "valliance.conf").write_text(site)
    main = tmp / "nginx.conf"
    user = "user root;\n" if os.geteuid() == 0 else ""  # workers read the checkout's static/
    main.write_text(
        f"{user}pid {tmp}/nginx.pid;\nerror_log {tmp}/error.log;\nworker_processes 1;\n"
        f"events {{ worker_connections 64; }}\n"
        f"http {{\n include /etc/nginx/mime.types;\n access_log {tmp}/access.log;\n"
        + "".join(f" {kind}_temp_path {tmp}/{kind};\n"
                  for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
        + f" include {tmp}/valliance.conf;\n}}\n")
    return main


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def _get(url: str, headers: dict | None = None, data: bytes | None = None):
    """(status, headers, body) of one request; TLS not verified (a self-signed certificate)."""
    context = ssl.create_default_context()
    context.check_hostname, context.verify_mode = False, ssl.CERT_NONE
    opener = urllib.request.build_opener(urllib.request.HTTPSHandler(context=context),
                                         _NoRedirect())
    request = urllib.request.Request(url, headers=headers or {}, data=data)
    try:
        with opener.open(request, timeout=30) as answer:
            return answer.status, answer.headers, answer.read()
    except urllib.error.HTTPError as error:
        return error.code, error.headers, error.read()


@pytest.fixture(scope="module")
def proxied(tmp_path_factory):
    """nginx on the site's files in front of gunicorn: (https base URL, http base URL, the
    app's log)."""
    if ON_POSTGRES:
        pytest.skip("the proxy does not depend on the database: run on the SQLite lane")
    if not NGINX:
        pytest.fail("REQUIRE_NGINX=1 but nginx is not installed (apt-get install nginx)")
    tmp = tmp_path_factory.mktemp("nginx")
    database = tmp / "app.db"
    env = server_environment(f"sqlite:///{database}", TRUSTED_PROXY_HOPS="1", LOG_FORMAT="json",
                             METRICS_TOKEN=TOKEN)
    subprocess.run([str(Path(ROOT, ".venv/bin/flask")), "--app", "wsgi", "db", "upgrade"],
                   cwd=ROOT, env=env, check=True, capture_output=True, timeout=120)
    log = tmp / "gunicorn.log"
    with gunicorn(env, log) as (app_port, _):
        http_port, https_port = free_port(), free_port()
        main = _site(tmp, app_port, http_port, https_port)
        checked = subprocess.run([NGINX, "-t", "-p", str(tmp), "-c", str(main)],
                                 capture_output=True, text=True, timeout=30)
        assert checked.returncode == 0, checked.stderr
        nginx = subprocess.Popen([NGINX, "-p", str(tmp), "-c", str(main), "-g", "daemon off;"],
                                 stderr=subprocess.PIPE)
        try:
            _wait_listening(f"https://127.0.0.1:{https_port}/healthz", nginx)
            yield f"https://127.0.0.1:{https_port}", f"http://127.0.0.1:{http_port}", log
        finally:
            nginx.terminate()
            nginx.wait(timeout=15)


def _wait_listening(url: str, nginx: subprocess.Popen) -> None:
    deadline = time.monotonic() + 20
    while True:
        if nginx.poll() is not None:
            pytest.fail(f"nginx exited: {nginx.stderr.read().decode()[-2000:]}")
        try:
            if _get(url)[0] == 200:
                return
        except OSError:
            if time.monotonic() > deadline:
                raise
        time.sleep(0.1)


def test_plain_http_is_sent_to_https_and_https_carries_hsts(proxied):
    https, http, _ = proxied
    status, headers, _ = _get(f"{http}/merchants?q=1", {"Host": "valliance.example.com"})
    assert status == 301
    assert headers["Location"] == "https://valliance.example.com/merchants?q=1"
    for path in ("/healthz", "/", "/static/css/site.css", "/no-such-page"):
        _, headers, _ = _get(f"{https}{path}")
        # one header, nginx's: the app's own (it sees HTTPS) is hidden, not sent twice
        assert headers.get_all("Strict-Transport-Security") == [
            "max-age=63072000; includeSubDomains"], path


def test_the_app_behind_it_knows_the_request_was_https(proxied):
    https, _, _ = proxied
    status, headers, _ = _get(f"{https}/staff/login")
    assert status == 200
    cookies = headers.get_all("Set-Cookie")
    assert cookies and all("Secure" in cookie for cookie in cookies)


def test_static_files_come_from_nginx_fingerprinted_for_a_year_and_gzipped(proxied):
    https, _, log = proxied
    _, _, page = _get(f"{https}/")
    css = re.search(r'href="(/static/css/site\.css\?v=[0-9a-f]{12})"', page.decode())[1]
    status, headers, body = _get(f"{https}{css}", {"Accept-Encoding": "gzip"})
    assert status == 200 and headers["Content-Encoding"] == "gzip"
    assert headers["Cache-Control"] == "public, max-age=31536000, immutable"
    assert body[:2] == b"\x1f\x8b"
    status, headers, _ = _get(f"{https}/static/css/site.css")
    assert status == 200 and headers["Cache-Control"] == "public, max-age=3600, must-revalidate"
    routes = [json.loads(line).get("route") for line in log.read_text().splitlines()
              if line.startswith("{")]
    assert routes and not [r for r in routes if r and r.startswith("/static")]


def test_a_body_over_the_apps_limit_stops_at_nginx(proxied):
    https, _, log = proxied
    before = log.read_text().count("/api/v1/pos/purchases")
    status, headers, body = _get(f"{https}/api/v1/pos/purchases",
                                 {"Content-Type": "application/json"},
                                 data=b"{" + b" " * (3 * 1024 * 1024) + b"}")
    assert status == 413 and headers["Content-Type"] == "application/json"
    # the app's own answer to the same body (contract §10), word for word
    assert json.loads(body) == {"details": {"max_bytes": Config.MAX_CONTENT_LENGTH},
                                "error": "payload_too_large",
                                "message": "请求体过大 / Request body too large"}
    assert log.read_text().count("/api/v1/pos/purchases") == before


def test_the_callers_request_id_reaches_the_app_and_nginx_makes_one_otherwise(proxied):
    https, _, log = proxied
    _get(f"{https}/", {"X-Request-ID": "till-7-sale-42"})
    _get(f"{https}/")
    ids = [entry.get("request_id") for entry in map(json.loads, (
        line for line in log.read_text().splitlines() if line.startswith("{")))
        if entry.get("logger") == "valliance.access" and entry.get("route") == "/"]
    assert "till-7-sale-42" in ids
    assert any(re.fullmatch(r"[0-9a-f]{32}", str(request_id)) for request_id in ids)


def test_metrics_pass_from_an_internal_address_to_the_apps_token_check(proxied):
    https, _, _ = proxied
    assert _get(f"{https}/metrics")[0] == 401
    status, _, body = _get(f"{https}/metrics", {"Authorization": f"Bearer {TOKEN}"})
    assert status == 200 and b"valliance_http_request_duration_seconds" in body
