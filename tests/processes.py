"""For tests that start the app's own command lines (gunicorn, flask) as processes."""

import socket
import sys
from pathlib import Path

#: the project's root, where gunicorn.conf.py and wsgi.py are
ROOT = Path(__file__).resolve().parents[1]
GUNICORN = str(Path(sys.executable).with_name("gunicorn"))


def free_port() -> int:
    """A port nothing listens on (a moment ago)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]
