"""Domain errors (each knows its HTTP status and contract code) and their handlers.

A message is a Bilingual: "中文 / English" from the catalogs in the API, one language on pages.
"""

import logging
import math
import time
import uuid

from flask import Flask, current_app, g, jsonify, render_template, request
from flask_wtf.csrf import CSRFError
from markupsafe import escape
from werkzeug.exceptions import HTTPException

from valliance.error_log import log_failure
from valliance.i18n import bilingual

log = logging.getLogger(__name__)


#: every contract error code an API answer can carry → its HTTP status; filled by each
#: VallianceError subclass as it is defined (the OpenAPI document's enum comes from here)
API_ERROR_CODES: dict[str, int] = {}


class VallianceError(Exception):
    status = 500
    code = "internal_error"
    message = bilingual("系统错误")
    #: True for errors only pages show (never in an API answer, nor in the API's document)
    pages_only = False

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if not cls.pages_only:
            API_ERROR_CODES.setdefault(cls.code, cls.status)

    def __init__(self, message: str | None = None, details: dict | None = None):
        super().__init__(message or self.message)
        if message:
            self.message = message
        self.details = details or {}

    def to_dict(self) -> dict:
        """Render the contract's error body."""
        return {"error": self.code, "message": self.message, "details": self.details}


class InvalidJson(VallianceError):
    status, code, message = 400, "invalid_json", bilingual("请求体不是有效的 JSON 对象")


class Unauthorized(VallianceError):
    status, code, message = 401, "unauthorized", bilingual("未授权")


class Forbidden(VallianceError):
    status, code, message = 403, "forbidden", bilingual("无权访问")


class MerchantNotActive(VallianceError):
    """A terminal whose merchant is pending, rejected or suspended (contract §10)."""

    status, code = 403, "merchant_not_active"
    message = bilingual("商户未获批准或已暂停，不能收银")


class NotFound(VallianceError):
    status, code, message = 404, "not_found", bilingual("未找到")


class CardNotFound(VallianceError):
    status, code, message = 404, "card_not_found", bilingual("卡号不存在")


class MethodNotAllowed(VallianceError):
    status, code, message = 405, "method_not_allowed", bilingual("不支持的请求方法")


class IdempotencyKeyReused(VallianceError):
    status, code, message = 409, "idempotency_key_reused", bilingual("幂等键已用于另一请求")


class IdempotencyInProgress(VallianceError):
    status, code, message = 409, "idempotency_in_progress", bilingual("相同请求正在处理中")


class ValidationError(VallianceError):
    status, code, message = 422, "validation_error", bilingual("输入有误")


class CardInactive(VallianceError):
    status, code, message = 422, "card_inactive", bilingual("卡片不可用")


class MembershipFrozen(VallianceError):
    status, code, message = 422, "membership_frozen", bilingual("会员资格已冻结")


class InsufficientPoints(VallianceError):
    status, code, message = 422, "insufficient_points", bilingual("积分不足")


class RedemptionNotAuthorized(VallianceError):
    status, code = 422, "redemption_not_authorized"
    message = bilingual("付款码无效或已过期")


class PayCodeUsed(VallianceError):
    status, code, message = 422, "pay_code_used", bilingual("付款码已使用，请刷新后出示新码")


class RedemptionExceedsAmount(VallianceError):
    status, code = 422, "redemption_exceeds_amount"
    message = bilingual("抵扣积分超过应付金额")


class CouponInvalid(VallianceError):
    """Unknown, another member's, used, expired, void or not valid here (contract §11)."""

    status, code, message = 422, "coupon_invalid", bilingual("优惠券无效")


class CouponMinSpend(VallianceError):
    status, code, message = 422, "coupon_min_spend", bilingual("未达到优惠券的最低消费")


class RefundExceedsPurchase(VallianceError):
    status, code, message = 422, "refund_exceeds_purchase", bilingual("退款超过剩余金额")


class PayloadTooLarge(VallianceError):
    status, code, message = 413, "payload_too_large", bilingual("请求体过大")


class RateLimited(VallianceError):
    """429: always answered with Retry-After (contract §10); pages say when to try again."""

    status, code, message = 429, "rate_limited", bilingual("请求过于频繁")

    def __init__(self, message: str | None = None, details: dict | None = None,
                 retry_after: float | None = None):
        super().__init__(message, details)
        #: seconds until the caller may try again (None: the breached Flask-Limiter limit's)
        self.retry_after = retry_after


class InternalError(VallianceError):
    status, code, message = 500, "internal_error", bilingual("系统错误")


class PageExpired(VallianceError):
    """Pages only: a form posted with a missing or expired CSRF token."""

    status, code, pages_only = 400, "page_expired", True
    message = bilingual("页面已过期，请返回刷新后重试")


class BadRequest(VallianceError):
    """Pages only: a malformed request that is not an API body."""

    status, code, pages_only = 400, "bad_request", True
    message = bilingual("请求无效")


#: how a plain HTTP status is reported when no domain error was raised
_HTTP_STATUS_ERRORS = {
    400: InvalidJson,
    401: Unauthorized,
    403: Forbidden,
    404: NotFound,
    405: MethodNotAllowed,
    413: PayloadTooLarge,
    422: ValidationError,
    429: RateLimited,
}

_JSON_PREFIXES = ("/api/", "/webhooks/", "/healthz", "/readyz", "/metrics")


def wants_json() -> bool:
    """Tell whether the current request is answered in JSON (the API) or HTML (pages)."""
    return request.path.startswith(_JSON_PREFIXES)


#: where a layer beneath Flask (the purchase lane) leaves the id it made, for the app to keep
REQUEST_ID_ENVIRON = "valliance.request_id"


def request_id() -> str:
    """Return this request's id, made once per request, echoed in X-Request-ID."""
    if "request_id" not in g:
        g.request_id = request.environ.get(REQUEST_ID_ENVIRON) or request_id_for(
            request.headers.get("X-Request-ID", ""))
    return g.request_id


def request_id_for(incoming: str) -> str:
    """The caller's X-Request-ID when it is a sane one, else a new id."""
    return incoming if 0 < len(incoming) <= 64 and incoming.isprintable() else uuid.uuid4().hex


def retry_after_seconds(error: VallianceError) -> int:
    """Whole seconds until a rate-limited caller may try again (at least 1)."""
    seconds = getattr(error, "retry_after", None)
    if seconds is None:
        from valliance.extensions import limiter

        breached = limiter.current_limit  # the limit this request broke, if Flask-Limiter's
        if breached is None:
            return 60
        # reset_at is the window's end rounded up to a whole second; at least 1 in its last one
        return max(1, int(breached.reset_at - time.time()))
    return max(1, math.ceil(seconds))


def _keep_retry_after(response):
    """Put back the 429's Retry-After: Flask-Limiter rewrites it after the handler, rounded
    down (0 in a window's last second) and different from what the page says."""
    if response.status_code == 429 and g.get("retry_after"):
        response.headers["Retry-After"] = g.retry_after
    return response


def _render(error: VallianceError):
    headers = {}
    if error.status == 429:
        headers["Retry-After"] = g.retry_after = str(retry_after_seconds(error))
    if not wants_json():
        try:
            return render_template("errors/error.html", error=error,
                                   retry_after=headers.get("Retry-After")), error.status, headers
        except Exception as exc:  # the error page itself failed: answer plainly
            log_failure(log, f"error page failed ({{kind}}), request_id={request_id()}", exc)
            return (f"<h1>{error.status}</h1><p>{escape(error.message)}</p>", error.status,
                    headers)
    response = jsonify(error.to_dict())
    response.status_code = error.status
    response.headers.update(headers)
    return response


def _validation_details(exc: HTTPException) -> dict:
    # webargs (through flask-smorest) puts marshmallow messages under data["messages"],
    # keyed by location; the contract wants top-level field → list of messages.
    messages = (getattr(exc, "data", None) or {}).get("messages") or {}
    details: dict = {}
    for per_location in messages.values():
        if isinstance(per_location, dict):
            for field, msgs in per_location.items():
                details[field] = msgs if isinstance(msgs, list) else [str(msgs)]
    return details


def handle_http_exception(exc: HTTPException):
    """Render werkzeug's HTTP errors (unknown routes, wrong methods, aborts) in our shape."""
    status = exc.code or 500
    if isinstance(exc, CSRFError):
        return _render(PageExpired())
    error_type = _HTTP_STATUS_ERRORS.get(status, InternalError)
    if status == 400 and not wants_json():
        error_type = BadRequest
    details = _validation_details(exc) if status == 422 else {}
    if status == 413:
        details = {"max_bytes": current_app.config.get("MAX_CONTENT_LENGTH")}
    error = error_type(details=details)
    response = _render(error)
    if status == 405 and wants_json() and hasattr(response, "headers"):
        allowed = exc.get_response().headers.get("Allow")
        if allowed:
            response.headers["Allow"] = allowed
    return response


def handle_domain_error(exc: VallianceError):
    """Render a domain error raised anywhere below a route (a 429 with its Retry-After)."""
    return _render(exc)


def handle_unexpected(exc: Exception):
    """Log the traceback with the request id; the client sees only the id."""
    rid = request_id()
    log_failure(log, f"unhandled {{kind}}, request_id={rid}", exc)
    return _render(InternalError(details={"request_id": rid}))


def init_app(app: Flask) -> None:
    """Register the handlers for domain errors, HTTP errors and everything else."""
    app.register_error_handler(VallianceError, handle_domain_error)
    app.register_error_handler(HTTPException, handle_http_exception)
    app.register_error_handler(Exception, handle_unexpected)
    # first in the list: it runs after every other after-request function, Flask-Limiter's too
    app.after_request_funcs.setdefault(None, []).insert(0, _keep_retry_after)

    @app.after_request
    def _echo_request_id(response):
        response.headers["X-Request-ID"] = request_id()
        return response
