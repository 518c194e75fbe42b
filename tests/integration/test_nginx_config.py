"""`nginx -t` accepts deploy/nginx (the site and its proxy snippet) as README's deploy/ step 6
installs them, with a throwaway certificate in place of the placeholders. Only where nginx is
installed (CI has none: the file checks of tests/unit/test_deploy_files.py run everywhere)."""

import datetime
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from tests.processes import ROOT

NGINX = shutil.which("nginx") or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None)
SITE = ROOT / "deploy" / "nginx" / "valliance.conf"
SNIPPET = ROOT / "deploy" / "nginx" / "valliance-proxy.conf"
#: `http2 on;` is nginx >= 1.25.1; the site's comment says what older ones take instead
HTTP2_DIRECTIVE = (1, 25, 1)

pytestmark = pytest.mark.skipif(NGINX is None, reason="nginx is not installed")


def _version() -> tuple[int, ...]:
    done = subprocess.run([NGINX, "-v"], capture_output=True, text=True, check=True)  # noqa: S603
    return tuple(int(part) for part in re.search(r"nginx/(\d+)\.(\d+)\.(\d+)", done.stderr)
                 .groups())


def _certificate(directory: Path) -> tuple[Path, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "valliance.example.com")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now).not_valid_after(now + datetime.timedelta(days=1))
            .sign(key, hashes.SHA256()))
    chain, private = directory / "fullchain.pem", directory / "privkey.pem"
    chain.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    private.write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                          serialization.PrivateFormat.PKCS8,
                                          serialization.NoEncryption()))
    return chain, private


def _site(directory: Path, version: tuple[int, ...]) -> Path:
    """The site as installed: the snippet where it is included from, a real certificate."""
    chain, private = _certificate(directory)
    snippet = directory / "valliance-proxy.conf"
    shutil.copy(SNIPPET, snippet)
    text = (SITE.read_text(encoding="utf-8")
            .replace("/etc/nginx/snippets/valliance-proxy.conf", str(snippet))
            .replace("/etc/ssl/valliance/fullchain.pem", str(chain))
            .replace("/etc/ssl/valliance/privkey.pem", str(private)))
    if version < HTTP2_DIRECTIVE:  # as the site's comment says
        text = re.sub(r"^\s*http2 on;.*$", "", text, flags=re.MULTILINE)
        text = text.replace("443 ssl;", "443 ssl http2;")
    site = directory / "valliance.conf"
    site.write_text(text, encoding="utf-8")
    return site


def test_nginx_accepts_the_site(tmp_path):
    version = _version()
    site = _site(tmp_path, version)
    main = tmp_path / "nginx.conf"
    main.write_text(f"""pid {tmp_path}/nginx.pid;
error_log stderr;
events {{}}
http {{
    include /etc/nginx/mime.types;
    access_log off;
    include {site};
}}
""")
    done = subprocess.run([NGINX, "-t", "-q", "-p", str(tmp_path), "-c", str(main)],  # noqa: S603
                          capture_output=True, text=True, timeout=30, check=False)
    assert done.returncode == 0, f"nginx {version}:\n{done.stderr}"
