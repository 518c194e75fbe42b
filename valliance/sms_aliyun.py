"""Aliyun SMS (Dysmsapi SendSms) as the outbox's sender (SMS_PROVIDER=aliyun).

A GET to the endpoint with the RPC common parameters, signed with signature v1: the
parameters (all but Signature) sorted by name, each name and value percent-encoded (RFC 3986:
only A-Z a-z 0-9 - _ . ~ stay, a space is %20), joined as name=value with &; the string to sign
is "GET&%2F&" followed by that query, percent-encoded once more; the signature is
Base64(HMAC-SHA1(AccessKeySecret + "&", string to sign)).

The text goes out through one template (SMS_ALIYUN_TEMPLATE_CODE) whose only variable is
`${content}`. Aliyun answers JSON; Code "OK" means it took the message, any other code (or
an HTTP error, a timeout) raises AliyunSmsError carrying the code, which the outbox records.
Neither the message's text nor the secret is ever put into an error or the log.
"""

import base64
import hashlib
import hmac
import json
import urllib.error
import urllib.parse
import urllib.request
import uuid
from datetime import UTC, datetime

API_VERSION = "2017-05-25"


class AliyunSmsError(RuntimeError):
    """Aliyun did not take the message; `code` is its error code (or the failure's kind)."""

    def __init__(self, code: str):
        super().__init__(f"Aliyun SMS refused the message: {code}")
        self.code = code


def percent_encode(value: str) -> str:
    return urllib.parse.quote(str(value), safe="-_.~", encoding="utf-8")


def sign(params: dict[str, str], secret: str, method: str = "GET") -> str:
    """The Signature parameter for these parameters (signature v1, HMAC-SHA1)."""
    query = "&".join(f"{percent_encode(k)}={percent_encode(v)}" for k, v in sorted(params.items()))
    to_sign = f"{method}&{percent_encode('/')}&{percent_encode(query)}"
    digest = hmac.new(f"{secret}&".encode(), to_sign.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


class AliyunSmsSender:
    """Send each message with Dysmsapi's SendSms; a network round trip (sent after answers)."""

    round_trip = True

    def __init__(self, *, access_key_id: str, access_key_secret: str, sign_name: str,
                 template_code: str, endpoint: str = "https://dysmsapi.aliyuncs.com/",
                 timeout: float = 5.0):
        if not (access_key_id and access_key_secret and sign_name and template_code):
            raise ValueError("SMS_PROVIDER=aliyun needs SMS_ALIYUN_ACCESS_KEY_ID, "
                             "SMS_ALIYUN_ACCESS_KEY_SECRET, SMS_ALIYUN_SIGN_NAME and "
                             "SMS_ALIYUN_TEMPLATE_CODE")
        self.access_key_id, self.secret = access_key_id, access_key_secret
        self.sign_name, self.template_code = sign_name, template_code
        self.endpoint, self.timeout = endpoint, timeout

    @classmethod
    def from_config(cls, config) -> "AliyunSmsSender":
        return cls(access_key_id=config.get("SMS_ALIYUN_ACCESS_KEY_ID", ""),
                   access_key_secret=config.get("SMS_ALIYUN_ACCESS_KEY_SECRET", ""),
                   sign_name=config.get("SMS_ALIYUN_SIGN_NAME", ""),
                   template_code=config.get("SMS_ALIYUN_TEMPLATE_CODE", ""),
                   endpoint=config.get("SMS_ALIYUN_ENDPOINT") or "https://dysmsapi.aliyuncs.com/")

    def params(self, recipient: str, body: str) -> dict[str, str]:
        """The signed query of one SendSms call."""
        params = {
            "AccessKeyId": self.access_key_id, "Action": "SendSms", "Format": "JSON",
            "RegionId": "cn-hangzhou", "SignatureMethod": "HMAC-SHA1",
            "SignatureNonce": uuid.uuid4().hex, "SignatureVersion": "1.0",
            "Timestamp": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "Version": API_VERSION, "PhoneNumbers": recipient, "SignName": self.sign_name,
            "TemplateCode": self.template_code,
            "TemplateParam": json.dumps({"content": body}, ensure_ascii=False),
        }
        return {**params, "Signature": sign(params, self.secret)}

    def send(self, recipient: str, body: str) -> None:
        query = "&".join(f"{percent_encode(k)}={percent_encode(v)}"
                         for k, v in self.params(recipient, body).items())
        url = f"{self.endpoint.rstrip('/')}/?{query}"
        try:
            with urllib.request.urlopen(url, timeout=self.timeout) as answer:  # noqa: S310
                payload = answer.read()
        except urllib.error.HTTPError as exc:  # Aliyun answers errors with 4xx and a JSON body
            payload = exc.read()
        except TimeoutError as exc:
            raise AliyunSmsError("timeout") from exc
        except urllib.error.URLError as exc:
            kind = "timeout" if isinstance(exc.reason, TimeoutError) else "unreachable"
            raise AliyunSmsError(kind) from exc
        try:
            code = json.loads(payload).get("Code", "")
        except (ValueError, AttributeError):
            code = ""
        if code != "OK":
            raise AliyunSmsError(code or "bad answer")
