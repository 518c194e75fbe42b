"""Configuration, read from the environment; secrets never live in code."""

import os
import secrets
from decimal import Decimal
from pathlib import Path

from flask import Flask

from valliance.i18n import bilingual


def _int_env(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise RuntimeError(f"{name} must be an integer, got {raw!r}") from exc


def _flag_env(name: str) -> bool:
    return os.environ.get(name, "").strip().lower() in ("1", "true", "yes", "on")


def _off_env(name: str) -> bool:
    """False when the variable says off (0, off, false, no); True otherwise (unset: on)."""
    return os.environ.get(name, "").strip().lower() not in ("0", "off", "false", "no")


def _table_env(name: str, parse) -> dict:
    """Read "silver=360000,gold=600000" into a dict; the package that owns the table fills in
    its defaults and refuses names it does not know (`fill_table`)."""
    raw = os.environ.get(name, "").strip()
    table = {}
    if not raw:
        return table
    for pair in raw.split(","):
        key, _, value = pair.partition("=")
        key = key.strip()
        try:
            table[key] = parse(value.strip())
        except (ValueError, ArithmeticError) as exc:
            raise RuntimeError(f"{name}: bad value for {key!r}: {value!r}") from exc
    return table


def fill_table(app: Flask, name: str, defaults: dict) -> None:
    """Complete a table setting (TIER_THRESHOLDS…) over the owning package's defaults."""
    given = app.config.get(name) or {}
    unknown = sorted(set(given) - set(defaults))
    if unknown:
        raise RuntimeError(f"{name}: unknown tier {unknown[0]!r}")
    app.config[name] = {**defaults, **given}


def normalize_database_url(url: str) -> str:
    """Point PostgreSQL URLs at psycopg 3, whatever spelling the operator used."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def _instance_secret_key(instance_path: Path) -> str:
    # A development fallback: a random key kept in the instance folder (never in the repo),
    # so sessions survive restarts of `make run`. Production sets SECRET_KEY.
    key_file = instance_path / "secret_key"
    if not key_file.exists():
        key_file.write_text(secrets.token_hex(32))
        key_file.chmod(0o600)
    return key_file.read_text().strip()


class Config:
    TESTING = False
    SQLALCHEMY_TRACK_MODIFICATIONS = False
    # Idle connections are pinged before use (valliance/db.py), not every checkout.
    SQLALCHEMY_ENGINE_OPTIONS: dict = {}
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    BABEL_DEFAULT_LOCALE = "zh_CN"
    BABEL_DEFAULT_TIMEZONE = "Asia/Shanghai"
    MAX_CONTENT_LENGTH = 2 * 1024 * 1024

    API_TITLE = "Valliance API"
    API_VERSION = "v1"
    OPENAPI_VERSION = "3.0.3"
    OPENAPI_URL_PREFIX = "/api/v1"
    OPENAPI_JSON_PATH = "openapi.json"
    OPENAPI_SWAGGER_UI_PATH = "docs"
    OPENAPI_SWAGGER_UI_URL = "/api/v1/docs/assets/"
    API_SPEC_OPTIONS = {"info": {"description": (
        bilingual(
            "V卡联盟接口。金额均为整数「分」（CNY）：12850 即 ¥128.50；积分为整数。凭据：`Authori"
            "zation: Bearer <密钥>`（收银终端密钥、114 话务员密钥或会员令牌）。错误一律为 `{\"err"
            "or\", \"message\", \"details\"}`，message 为「中文 / English」。\n\nThe Valliance AP"
            "I. Money is an integer number of fen (分, CNY): 12850 is ¥128.50; points are integer"
            "s. Credentials: `Authorization: Bearer <secret>` (a POS terminal's key, a 114 operat"
            "or's key or a member token). Every error answers `{\"error\", \"message\", \"details"
            "\"}` with a \"中文",
        ))}}

    @staticmethod
    def from_environment() -> dict:
        """Read every setting that comes from the environment."""
        return {
            "DATABASE_URL": os.environ.get("DATABASE_URL", ""),
            #: a PostgreSQL streaming replica for searches, dashboards and reports
            #: (valliance/replica.py); unset: they read the primary
            "DATABASE_REPLICA_URL": os.environ.get("DATABASE_REPLICA_URL", ""),
            #: off: psycopg never prepares a statement on the server (prepare_threshold None),
            #: for a PgBouncer older than 1.21 in transaction mode (database_options)
            "DATABASE_PREPARED_STATEMENTS": _off_env("DATABASE_PREPARED_STATEMENTS"),
            "SECRET_KEY": os.environ.get("SECRET_KEY", ""),
            "REDIS_URL": os.environ.get("REDIS_URL", ""),
            "JOBS_QUEUE": os.environ.get("JOBS_QUEUE", "valliance"),
            #: Fernet keys for secrets at rest, comma-separated, newest first (secret_box)
            "DATA_ENCRYPTION_KEYS": os.environ.get("DATA_ENCRYPTION_KEYS", ""),
            "POINT_VALUE_FEN": _int_env("POINT_VALUE_FEN", 1),
            #: old brings new (invitations): a newcomer's first purchase paying at least this
            #: many fen rewards both members with these points and/or a coupon of this template;
            #: a referrer is rewarded at most REFERRAL_YEARLY_CAP times a calendar year
            "REFERRAL_MIN_SPEND_FEN": _int_env("REFERRAL_MIN_SPEND_FEN", 5000),
            "REFERRAL_REWARD_POINTS": _int_env("REFERRAL_REWARD_POINTS", 500),
            "REFERRAL_COUPON_TEMPLATE_ID": os.environ.get("REFERRAL_COUPON_TEMPLATE_ID", ""),
            "REFERRAL_YEARLY_CAP": _int_env("REFERRAL_YEARLY_CAP", 20),
            #: the service desk's business hours (a kind on the business clock counts only
            #: these): "HH:MM-HH:MM" and weekdays "1-5" (1 = Monday … 7 = Sunday)
            "SERVICE_BUSINESS_HOURS": os.environ.get("SERVICE_BUSINESS_HOURS", "")
            or "09:00-18:00",
            "SERVICE_BUSINESS_DAYS": os.environ.get("SERVICE_BUSINESS_DAYS", "") or "1-5",
            #: the bearer token a Prometheus scraper sends to GET /metrics (unset: 404)
            "METRICS_TOKEN": os.environ.get("METRICS_TOKEN", ""),
            #: 1: a production deployment (valliance/startup.py: what it refuses to start with)
            "PRODUCTION": _flag_env("PRODUCTION"),
            #: json: one JSON object a log line (valliance/logs.py); text; empty: json in
            #: production, text otherwise
            "LOG_FORMAT": os.environ.get("LOG_FORMAT", ""),
            #: who sends SMS (messaging.configured_sender): console, aliyun or http
            "SMS_PROVIDER": os.environ.get("SMS_PROVIDER", ""),
            "SMS_ALIYUN_ACCESS_KEY_ID": os.environ.get("SMS_ALIYUN_ACCESS_KEY_ID", ""),
            "SMS_ALIYUN_ACCESS_KEY_SECRET": os.environ.get("SMS_ALIYUN_ACCESS_KEY_SECRET", ""),
            "SMS_ALIYUN_SIGN_NAME": os.environ.get("SMS_ALIYUN_SIGN_NAME", ""),
            "SMS_ALIYUN_TEMPLATE_CODE": os.environ.get("SMS_ALIYUN_TEMPLATE_CODE", ""),
            "SMS_ALIYUN_ENDPOINT": os.environ.get("SMS_ALIYUN_ENDPOINT", "")
            or "https://dysmsapi.aliyuncs.com/",
            #: the generic SMS gateway (messaging.HttpSmsGateway, SMS_PROVIDER=http)
            "SMS_GATEWAY_URL": os.environ.get("SMS_GATEWAY_URL", ""),
            "SMS_GATEWAY_TOKEN": os.environ.get("SMS_GATEWAY_TOKEN", ""),
            #: the service line members are told to call (the operator's customer service)
            "SUPPORT_PHONE": os.environ.get("SUPPORT_PHONE", "") or "10000",
            #: 1: session and other cookies are always Secure (else: when the request is HTTPS)
            "SESSION_COOKIE_SECURE": _flag_env("SESSION_COOKIE_SECURE"),
            #: reverse proxies in front of the app whose X-Forwarded-For is trusted
            "TRUSTED_PROXY_HOPS": _int_env("TRUSTED_PROXY_HOPS", 0),
            #: 1: on PostgreSQL a till's common purchase is answered beneath Flask
            #: (merchants/lane); 0: the app answers every request itself
            "POS_PURCHASE_LANE": _int_env("POS_PURCHASE_LANE", 1) != 0,
            #: 1: on PostgreSQL the POS API's purchase route, too, records a common sale with
            #: the ledger's one-statement writer (points.AtOnce); 0: always the generic writer
            "POS_SALE_AT_ONCE": _int_env("POS_SALE_AT_ONCE", 1) != 0,
            #: marketing messages one member gets at most in any 30 days, across every
            #: campaign (valliance/marketing/services/send_rules.py)
            "MARKETING_MAX_PER_30_DAYS": _int_env("MARKETING_MAX_PER_30_DAYS", 4),
            #: days an accrued point stays spendable before it expires
            "POINTS_VALIDITY_DAYS": _int_env("POINTS_VALIDITY_DAYS", 730),
            #: 1: the year-end rule — points earned in year Y last until the end of 31
            #: December of Y + (those days in whole years), Asia/Shanghai
            #: (valliance/points/expiry.py); 0: exactly POINTS_VALIDITY_DAYS
            "POINTS_EXPIRE_AT_YEAR_END": _int_env("POINTS_EXPIRE_AT_YEAR_END", 1) != 0,
            #: back office: adjustments of more points than this (either sign) wait for a
            #: second person with the finance or admin role (contract §13)
            "ADJUSTMENT_APPROVAL_POINTS": _int_env("ADJUSTMENT_APPROVAL_POINTS", 5000),
            #: only the tiers the environment names; members fills in the rest (fill_table)
            "TIER_THRESHOLDS": _table_env("TIER_THRESHOLDS", int),
            "TIER_MULTIPLIERS": _table_env("TIER_MULTIPLIERS", Decimal),
            "STRIPE_SECRET_KEY": os.environ.get("STRIPE_SECRET_KEY", ""),
            "STRIPE_WEBHOOK_SECRET": os.environ.get("STRIPE_WEBHOOK_SECRET", ""),
            "STRIPE_API_BASE": os.environ.get("STRIPE_API_BASE", ""),
            #: points per yuan a member earns for a bill or VIP fee paid through Stripe
            "BILL_POINTS_PER_YUAN": _int_env("BILL_POINTS_PER_YUAN", 1),
            #: 积分抵话费: at most this share of a bill (percent) may be paid with points; the
            #: card always pays at least 1 fen (a value over 100 or below 0 turns points off)
            "BILL_POINTS_MAX_SHARE_PERCENT": _int_env("BILL_POINTS_MAX_SHARE_PERCENT", 50),
            #: minutes points stay held for a bill's Checkout (which expires 30 minutes
            #: sooner); the release job gives back holds that no Stripe event settled
            "BILL_POINTS_HOLD_MINUTES": _int_env("BILL_POINTS_HOLD_MINUTES", 90),
            #: the VIP annual fee in fen (¥360.00 by default)
            "VIP_FEE_FEN": _int_env("VIP_FEE_FEN", 36000),
            #: settlement: what a merchant pays per point it issues, in fen
            "SETTLEMENT_COST_PER_POINT_FEN": _int_env("SETTLEMENT_COST_PER_POINT_FEN", 1),
            #: settlement: what a merchant is paid per point spent in its shop, in fen
            "SETTLEMENT_REIMBURSE_PER_POINT_FEN": _int_env("SETTLEMENT_REIMBURSE_PER_POINT_FEN",
                                                           1),
        }

    @classmethod
    def apply(cls, app: Flask, override: "type[Config] | Config | None") -> None:
        """Load the defaults, the environment, then an optional override object."""
        app.config.from_object(cls)
        app.config.update(cls.from_environment())
        if override is not None:
            app.config.from_object(override)
        instance = Path(app.instance_path)
        instance.mkdir(parents=True, exist_ok=True)
        url = app.config.get("DATABASE_URL") or f"sqlite:///{instance / 'valliance.db'}"
        app.config["SQLALCHEMY_DATABASE_URI"] = normalize_database_url(url)
        app.config["SQLALCHEMY_ENGINE_OPTIONS"] = database_options(app.config)
        if not app.config.get("SECRET_KEY"):
            app.config["SECRET_KEY"] = _instance_secret_key(instance)
        # Rate limits are shared by every worker through Redis when there is one.
        app.config.setdefault("RATELIMIT_STORAGE_URI", app.config.get("REDIS_URL") or "memory://")


def database_options(config) -> dict:
    """SQLAlchemy's engine options: the configured ones, and what the settings add."""
    # A database error's text never carries the statement's values (passwords, hashes,
    # codes): they would reach the log with the traceback (contract §10).
    options = {**config.get("SQLALCHEMY_ENGINE_OPTIONS", {}), "hide_parameters": True}
    on_postgres = config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql")
    if on_postgres and not config.get("DATABASE_PREPARED_STATEMENTS", True):
        # psycopg prepares a statement on the server after 5 runs on a connection; behind a
        # PgBouncer older than 1.21 in transaction mode the next run may land on another
        # server connection, where it does not exist ("prepared statement _pg3_0 does not
        # exist"). Never preparing costs a plan at every run (docs/benchmarks.md).
        options["connect_args"] = {**options.get("connect_args", {}),
                                   "prepare_threshold": None}
    return options


class TestConfig(Config):
    TESTING = True
    WTF_CSRF_ENABLED = True
    RATELIMIT_ENABLED = True
