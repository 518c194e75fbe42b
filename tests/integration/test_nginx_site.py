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

import http.client
import json
import os
import re
import shutil
import socket
import ssl
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import NamedTuple

import pytest

from tests.conftest import ON_POSTGRES
from tests.processes import ROOT, free_port, gunicorn, server_environment
from valliance.config import Config

NGINX = shutil.which("nginx") or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None)
DEPLOY = ROOT / "deploy" / "nginx"
TOKEN = "nginx-site-metrics-token"  # noqa: S105 — a test's own
#: the site's host name here (the file's valliance.example.com): it resolves to this machine
HOST = "localhost"

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
                     ("listen 80", f"listen 127.0.0.1:{http_port}"),
                     ("listen 443 ssl", f"listen 127.0.0.1:{https_port} ssl"),
                     ("valliance.example.com", HOST),
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


class Site(NamedTuple):
    https: str
    http: str
    log: Path
    app: subprocess.Popen


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
    """nginx on the site's files in front of gunicorn."""
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
    with gunicorn(env, log) as (app_port, app):
        http_port, https_port = free_port(), free_port()
        main = _site(tmp, app_port, http_port, https_port)
        checked = subprocess.run([NGINX, "-t", "-p", str(tmp), "-c", str(main)],
                                 capture_output=True, text=True, timeout=30)
        assert checked.returncode == 0, checked.stderr
        nginx = subprocess.Popen([NGINX, "-p", str(tmp), "-c", str(main), "-g", "daemon off;"],
                                 stderr=subprocess.PIPE)
        try:
            _wait_listening(f"https://{HOST}:{https_port}/healthz", nginx)
            yield Site(f"https://{HOST}:{https_port}", f"http://{HOST}:{http_port}", log, app)
        finally:
            nginx.terminate()
            nginx.wait(timeout=15)


def _wait_listening(url: str, nginx: subprocess.Popen) -> None:
    deadline, answer = time.monotonic() + 20, None
    while time.monotonic() < deadline:
        if nginx.poll() is not None:
            pytest.fail(f"nginx exited: {nginx.stderr.read().decode()[-2000:]}")
        try:
            answer = _get(url)[0]
        except OSError as exc:
            answer = exc
        if answer == 200:
            return
        time.sleep(0.1)
    pytest.fail(f"nginx did not answer 200 at {url} within 20 s (last: {answer!r})")


def test_plain_http_is_sent_to_https_and_https_carries_hsts(proxied):
    status, headers, _ = _get(f"{proxied.http}/merchants?q=1")
    assert status == 301 and headers["Location"] == f"https://{HOST}/merchants?q=1"
    for path in ("/healthz", "/", "/static/css/site.css", "/no-such-page"):
        _, headers, _ = _get(f"{proxied.https}{path}")
        # one header, nginx's: the app's own (it sees HTTPS) is hidden, not sent twice
        assert headers.get_all("Strict-Transport-Security") == [
            "max-age=63072000; includeSubDomains"], path


def test_another_host_name_gets_no_redirect_and_no_handshake(proxied):
    with pytest.raises((OSError, http.client.HTTPException)):  # 444: closed, no answer
        _get(f"{proxied.http}/", {"Host": "evil.example"})
    with pytest.raises((OSError, http.client.HTTPException)):  # the site's SNI, another Host
        _get(f"{proxied.https}/", {"Host": "evil.example"})
    port = int(proxied.https.rsplit(":", 1)[1])
    context = ssl.create_default_context()
    context.check_hostname, context.verify_mode = False, ssl.CERT_NONE
    with socket.create_connection(("127.0.0.1", port), timeout=10) as raw, \
            pytest.raises(ssl.SSLError):
        context.wrap_socket(raw, server_hostname="evil.example")


def test_health_checks_and_scrapes_by_address_from_inside_are_answered(proxied):
    by_address = proxied.http.replace(HOST, "127.0.0.1")
    assert _get(f"{by_address}/healthz")[0] == 200
    assert _get(f"{by_address}/readyz")[0] == 200
    assert _get(f"{by_address}/metrics", {"Authorization": f"Bearer {TOKEN}"})[0] == 200
    with pytest.raises((OSError, http.client.HTTPException)):  # nothing else by address
        _get(f"{by_address}/")


def test_the_app_behind_it_knows_the_request_was_https(proxied):
    status, headers, _ = _get(f"{proxied.https}/staff/login")
    assert status == 200
    cookies = headers.get_all("Set-Cookie")
    assert cookies and all("Secure" in cookie for cookie in cookies)


def test_static_files_come_from_nginx_fingerprinted_for_a_year_and_gzipped(proxied):
    _, _, page = _get(f"{proxied.https}/")
    css = re.search(r'href="(/static/css/site\.css\?v=[0-9a-f]{12})"', page.decode())[1]
    status, headers, body = _get(f"{proxied.https}{css}", {"Accept-Encoding": "gzip"})
    assert status == 200 and headers["Content-Encoding"] == "gzip"
    assert headers["Cache-Control"] == "public, max-age=31536000, immutable"
    assert body[:2] == b"\x1f\x8b"
    status, headers, _ = _get(f"{proxied.https}/static/css/site.css")
    assert status == 200 and headers["Cache-Control"] == "public, max-age=3600, must-revalidate"
    status, headers, _ = _get(f"{proxied.https}/static/css/no-such.css?v=0123456789ab")
    assert status == 404 and "Cache-Control" not in headers  # a 404 is not kept a year
    routes = [json.loads(line).get("route") for line in proxied.log.read_text().splitlines()
              if line.startswith("{")]
    assert routes and not [r for r in routes if r and r.startswith("/static")]


def test_json_is_compressed_and_pages_are_not(proxied):
    gzip = {"Accept-Encoding": "gzip"}
    _, headers, _ = _get(f"{proxied.https}/api/v1/openapi.json", gzip)
    assert headers["Content-Encoding"] == "gzip"
    status, headers, _ = _get(f"{proxied.https}/staff/login", gzip)  # a CSRF token: no BREACH
    assert status == 200 and "Content-Encoding" not in headers


def test_a_body_over_the_apps_limit_stops_at_nginx(proxied):
    before = proxied.log.read_text().count("/api/v1/pos/purchases")
    status, headers, body = _get(f"{proxied.https}/api/v1/pos/purchases",
                                 {"Content-Type": "application/json"},
                                 data=b"{" + b" " * (3 * 1024 * 1024) + b"}")
    assert status == 413 and headers["Content-Type"] == "application/json"
    # the app's own answer to the same body (contract §10), word for word
    assert json.loads(body) == {"details": {"max_bytes": Config.MAX_CONTENT_LENGTH},
                                "error": "payload_too_large",
                                "message": "请求体过大 / Request body too large"}
    assert proxied.log.read_text().count("/api/v1/pos/purchases") == before


def test_the_callers_request_id_reaches_the_app_and_nginx_makes_one_otherwise(proxied):
    _get(f"{proxied.https}/", {"X-Request-ID": "till-7-sale-42"})
    _get(f"{proxied.https}/")
    ids = [entry.get("request_id") for entry in map(json.loads, (
        line for line in proxied.log.read_text().splitlines() if line.startswith("{")))
        if entry.get("logger") == "valliance.access" and entry.get("route") == "/"]
    assert "till-7-sale-42" in ids
    assert any(re.fullmatch(r"[0-9a-f]{32}", str(request_id)) for request_id in ids)


def test_metrics_pass_from_an_internal_address_to_the_apps_token_check(proxied):
    assert _get(f"{proxied.https}/metrics")[0] == 401
    status, _, body = _get(f"{proxied.https}/metrics", {"Authorization": f"Bearer {TOKEN}"})
    assert status == 200 and b"valliance_http_request_duration_seconds" in body


def test_with_the_app_down_tills_get_the_contracts_json_and_a_retry_after(proxied):
    # last in this module: it stops the app server
    proxied.app.terminate()
    proxied.app.wait(timeout=30)
    status, headers, body = _get(f"{proxied.https}/api/v1/pos/purchases",
                                 {"Content-Type": "application/json"}, data=b"{}")
    assert status == 503 and headers["Retry-After"] == "5", body[:300]
    assert headers["Content-Type"] == "application/json"
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert json.loads(body)["error"] == "internal_error"
    # the health checks keep their own shapes (contract's /healthz and §14's /readyz)
    status, _, body = _get(f"{proxied.https}/readyz")
    assert status == 503 and set(json.loads(body)) == {"status", "db", "migrations", "redis"}
    assert json.loads(body)["status"] == "not ready"
    status, _, body = _get(f"{proxied.https}/healthz")
    assert status == 503 and set(json.loads(body)) == {"status", "db"}
