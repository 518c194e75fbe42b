import pytest
from cryptography.fernet import Fernet
from flask import Flask

from valliance import secret_box


def _app(**config):
    app = Flask(__name__)
    app.config.update({"SECRET_KEY": "k", "DATA_ENCRYPTION_KEYS": "", **config})
    return app


def test_sealed_text_is_not_the_plain_text_and_opens_again():
    with _app().app_context():
        sealed = secret_box.seal("a1b2c3")
        assert "a1b2c3" not in sealed
        assert secret_box.unseal(sealed) == "a1b2c3"


def test_a_rotated_key_still_opens_what_the_old_key_sealed():
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    with _app(DATA_ENCRYPTION_KEYS=old).app_context():
        sealed = secret_box.seal("secret")
    with _app(DATA_ENCRYPTION_KEYS=f"{new},{old}").app_context():
        assert secret_box.unseal(sealed) == "secret"


def test_a_value_sealed_under_another_key_is_refused():
    with _app(SECRET_KEY="one").app_context():
        sealed = secret_box.seal("secret")
    with _app(SECRET_KEY="two").app_context(), pytest.raises(secret_box.UnreadableSecret):
        secret_box.unseal(sealed)
