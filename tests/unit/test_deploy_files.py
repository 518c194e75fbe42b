"""deploy/ stays true to the app: the env template names exactly README's Configuration
table, the systemd units run commands that exist, only the web unit gets the metrics
directory, nginx proxies as TRUSTED_PROXY_HOPS=1 expects and sets HSTS, PgBouncer pools by
transaction. Reads files only: no service is started."""

import re
import shlex
from pathlib import Path

import click
import pytest

from valliance import create_app
from valliance.config import Config, TestConfig

ROOT = Path(__file__).parents[2]
DEPLOY = ROOT / "deploy"
#: where the units expect the checkout (WorkingDirectory)
SRV = "/srv/valliance"


def readme_table_variables() -> list[str]:
    """The variables of README's Configuration table, in its order."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("\n## Configuration\n", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"^\| `([A-Z][A-Z0-9_]*)` \|", section, flags=re.MULTILINE)


def env_template() -> tuple[dict[str, str], set[str]]:
    """(NAME=value lines set, #NAME=value lines left at the default) of the env template."""
    set_, commented = {}, set()
    for line in (DEPLOY / "valliance.env.example").read_text(encoding="utf-8").splitlines():
        match = re.match(r"^(#?)([A-Z][A-Z0-9_]*)=(.*)$", line)
        if match and match[1]:
            commented.add(match[2])
        elif match:
            set_[match[2]] = match[3]
    return set_, commented


def unit(name: str) -> dict[str, list[str]]:
    """A systemd unit's settings: key → every value given to it (comments skipped)."""
    settings: dict[str, list[str]] = {}
    for line in (DEPLOY / "systemd" / name).read_text(encoding="utf-8").splitlines():
        if line.startswith(("#", ";", "[")) or "=" not in line:
            continue
        key, _, value = line.partition("=")
        settings.setdefault(key.strip(), []).append(value.strip())
    return settings


def test_env_template_names_exactly_the_readme_configuration_table():
    table = readme_table_variables()
    assert len(table) > 30 and len(table) == len(set(table))
    set_, commented = env_template()
    assert not set(set_) & commented, "a variable both set and commented out"
    assert set(set_) | commented == set(table)


def test_env_template_is_a_production_one_with_placeholders_only():
    set_, _ = env_template()
    assert set_["PRODUCTION"] == "1"
    assert set_["LOG_FORMAT"] == "json"
    assert set_["TRUSTED_PROXY_HOPS"] == "1"
    assert set_["REDIS_URL"].startswith("redis://")
    for secret in ("SECRET_KEY", "DATA_ENCRYPTION_KEYS", "METRICS_TOKEN",
                   "SMS_ALIYUN_ACCESS_KEY_SECRET"):
        assert set_[secret].startswith("CHANGE-ME"), secret
    assert "CHANGE-ME" in set_["DATABASE_URL"]
    # the job worker reads this file too: the metrics directory is the web unit's alone
    assert "PROMETHEUS_MULTIPROC_DIR" not in set_


def _exec_lines(settings: dict[str, list[str]]) -> list[list[str]]:
    return [shlex.split(line) for key in ("ExecStartPre", "ExecStart")
            for line in settings.get(key, [])]


@pytest.fixture(scope="module")
def cli(tmp_path_factory):
    """The app's `flask` command group (built on a throwaway SQLite file, never opened)."""
    class Settings(TestConfig):
        DATABASE_URL = f"sqlite:///{tmp_path_factory.mktemp('deploy')}/unused.db"
        SECRET_KEY = "deploy-files-test"  # noqa: S105 — tests only

    return create_app(Settings).cli


def _flask_command_exists(cli_group, argv: list[str]) -> bool:
    """Whether `flask --app wsgi <argv…>` names a command of the app (options skipped)."""
    assert argv[:2] == ["--app", "wsgi"], argv
    command: click.Command = cli_group
    for word in argv[2:]:
        if word.startswith("-"):
            break
        if not isinstance(command, click.Group) or word not in command.commands:
            return False
        command = command.commands[word]
    return not isinstance(command, click.Group)


@pytest.mark.parametrize("name", ["valliance-web.service", "valliance-worker.service"])
def test_systemd_units_run_flask_commands_that_exist(cli, name):
    settings = unit(name)
    assert settings["User"] == ["valliance"]
    assert settings["WorkingDirectory"] == [SRV]
    assert settings["EnvironmentFile"] == ["/etc/valliance/valliance.env"]
    assert settings["Restart"] == ["on-failure"]
    lines = _exec_lines(settings)
    assert lines[0] == [f"{SRV}/.venv/bin/flask", "--app", "wsgi", "check"]
    for argv in lines:
        if argv[0].endswith("/flask"):
            assert _flask_command_exists(cli, argv[1:]), argv
    assert not any("upgrade" in argv for argv in lines), "migrate once, never at each start"


def test_the_worker_unit_runs_the_job_worker_and_its_schedule():
    (argv,) = [line for line in _exec_lines(unit("valliance-worker.service"))
               if line[-1] != "check"]
    assert argv[-2:] == ["jobs", "worker"] and "--burst" not in argv


def test_the_web_unit_runs_gunicorn_with_the_repository_settings():
    (argv,) = [line for line in _exec_lines(unit("valliance-web.service"))
               if line[-1] != "check"]
    assert argv[0] == f"{SRV}/.venv/bin/gunicorn" and argv[-1] == "wsgi:app"
    config = argv[argv.index("--config") + 1]
    assert (ROOT / config.removeprefix(SRV + "/")).is_file()
    assert "--preload" not in argv
    assert re.search(r"^\s*app = create_app\(", (ROOT / "wsgi.py").read_text(), flags=re.MULTILINE)


def test_only_the_web_unit_has_the_metrics_directory():
    web, worker = unit("valliance-web.service"), unit("valliance-worker.service")
    assert web["RuntimeDirectory"] == ["valliance-metrics"]
    assert "PROMETHEUS_MULTIPROC_DIR=/run/valliance-metrics" in web["Environment"]
    assert "RuntimeDirectory" not in worker
    assert not any("PROMETHEUS_MULTIPROC_DIR" in value
                   for values in worker.values() for value in values)


@pytest.mark.parametrize("name", ["valliance-web.service", "valliance-worker.service"])
def test_systemd_units_are_hardened(name):
    settings = unit(name)
    assert settings["NoNewPrivileges"] == ["yes"]
    assert settings["ProtectSystem"] == ["strict"]
    assert settings["PrivateTmp"] == ["yes"]
    assert settings["ReadWritePaths"] == [f"{SRV}/instance"]


def _nginx(name: str) -> str:
    """An nginx file without its comments."""
    text = (DEPLOY / "nginx" / name).read_text(encoding="utf-8")
    return "\n".join(line.split("#", 1)[0] for line in text.splitlines())


def test_nginx_proxies_with_forwarded_headers_for_one_trusted_hop():
    site, proxy = _nginx("valliance.conf"), _nginx("valliance-proxy.conf")
    assert site.count("include /etc/nginx/snippets/valliance-proxy.conf;") >= 4
    assert "proxy_set_header X-Forwarded-Proto $scheme;" in proxy
    # overwritten, never appended to: the one hop the app trusts is nginx's own
    assert "proxy_set_header X-Forwarded-For $remote_addr;" in proxy
    assert "proxy_pass http://valliance_app;" in proxy
    assert re.search(r"upstream valliance_app \{[^}]*keepalive \d+;", site)


def test_nginx_sets_hsts_tls_and_the_apps_body_limit():
    site = _nginx("valliance.conf")
    assert re.search(r'add_header Strict-Transport-Security "max-age=\d{8,}', site)
    assert "ssl_protocols TLSv1.2 TLSv1.3;" in site
    limit = int(re.search(r"client_max_body_size (\d+)m;", site)[1]) * 1024 * 1024
    assert limit == Config.MAX_CONTENT_LENGTH


def test_nginx_serves_static_from_the_repository_and_guards_metrics():
    site = _nginx("valliance.conf")
    assert f"alias {SRV}/static/;" in site and (ROOT / "static").is_dir()
    # fingerprinted URLs (?v=, valliance/site/static_urls.py) for a year, plain ones an hour
    cache = site.split("map $arg_v $valliance_static_cache {", 1)[1].split("}", 1)[0]
    assert 'default "public, max-age=31536000, immutable";' in cache
    assert '""      "public, max-age=3600, must-revalidate";' in cache
    assert "add_header Cache-Control $valliance_static_cache;" in site
    metrics = site.split("location = /metrics {", 1)[1].split("\n    }", 1)[0]
    assert "$valliance_internal = 0" in metrics and "return 404;" in metrics
    for path in ("/healthz", "/readyz"):
        assert f"location = {path} {{" in site


def test_pgbouncer_pools_by_transaction_and_keeps_prepared_statements():
    settings = {}
    for line in (DEPLOY / "pgbouncer" / "pgbouncer.ini").read_text().splitlines():
        if "=" in line and not line.startswith((";", "#")):
            key, _, value = line.partition("=")
            settings[key.strip()] = value.strip()
    assert settings["pool_mode"] == "transaction"
    # psycopg 3 prepares a statement after 5 runs: PgBouncer must track them (>= 1.21)
    assert int(settings["max_prepared_statements"]) > 0
    assert (DEPLOY / "pgbouncer" / "userlist.txt.example").is_file()
