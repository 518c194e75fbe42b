"""The till camera's vendored QR decoder: every file it names is served from /static, the wasm
is the one the JavaScript was built for, and the CSP allows WebAssembly but not eval."""

import hashlib
import re
from pathlib import Path

STATIC = Path(__file__).resolve().parents[2] / "static"
CAMERA_JS = STATIC / "js" / "till-camera.js"
VENDOR = STATIC / "vendor"


def _camera_js() -> str:
    return CAMERA_JS.read_text(encoding="utf-8")


def _vendored_paths() -> list[Path]:
    """The files till-camera.js names, as new URL("../vendor/…", import.meta.url)."""
    names = re.findall(r"""new URL\(\s*["']([^"']+)["']\s*,\s*import\.meta\.url\s*\)""",
                       _camera_js())
    return [(CAMERA_JS.parent / name).resolve() for name in names]


def _directives(csp: str) -> dict[str, list[str]]:
    parts = (part.split() for part in csp.split(";") if part.strip())
    return {words[0]: words[1:] for words in parts}


def test_every_vendored_file_the_camera_script_names_exists_under_static():
    paths = _vendored_paths()
    assert {path.name for path in paths} == {"ponyfill.js", "zxing_reader.wasm"}
    for path in paths:
        assert path.is_relative_to(VENDOR), path
        assert path.is_file(), path
    # … and every module those import (relative imports only: nothing from a CDN).
    for module in VENDOR.rglob("*.js"):
        source = module.read_text(encoding="utf-8")
        targets = re.findall(r"""^\s*(?:import|export)\b[^;"']*?["']([^"']+)["']""", source,
                             re.MULTILINE)
        targets += re.findall(r"""\bimport\(\s*["']([^"']+)["']\s*\)""", source)
        assert targets or module.name != "ponyfill.js"
        for target in targets:
            assert target.startswith("./"), (module, target)
            assert (module.parent / target).is_file(), (module, target)


def test_the_script_loads_nothing_from_the_internet():
    js = _camera_js()
    assert not re.search(r"https?://|//[a-z0-9.-]+\.[a-z]{2,}/", js)
    assert "locateFile" in js  # the .wasm comes from /static, not the package's default CDN


def test_the_wasm_is_the_one_the_javascript_was_built_for():
    bundle = (VENDOR / "barcode-detector" / "zxing-exported.js").read_text(encoding="utf-8")
    wasm = (VENDOR / "zxing-wasm" / "zxing_reader.wasm").read_bytes()
    assert wasm[:4] == b"\0asm"
    assert hashlib.sha256(wasm).hexdigest() in re.findall(r'"([0-9a-f]{64})"', bundle)
    readme = (VENDOR / "README.md").read_text(encoding="utf-8")
    assert "3.2.2" in readme and "3.1.3" in readme and hashlib.sha256(wasm).hexdigest() in readme
    assert re.search(r'\bee = "3\.1\.3"', bundle)  # ZXING_WASM_VERSION
    for licence in ("barcode-detector/LICENSE", "zxing-wasm/LICENSE",
                    "zxing-wasm/LICENSE.zxing-cpp"):
        assert (VENDOR / licence).stat().st_size > 500, licence


def test_the_till_page_loads_the_camera_module_and_its_files_are_served(client):
    html = client.get("/till/").get_data(as_text=True)
    camera = r'<script src="/static/js/till-camera\.js\?v=[0-9a-f]{12}" type="module">'
    assert re.search(camera, html)
    for path, mimetype in [("/static/js/till-camera.js", "text/javascript"),
                           ("/static/vendor/barcode-detector/ponyfill.js", "text/javascript"),
                           ("/static/vendor/barcode-detector/zxing-exported.js",
                            "text/javascript"),
                           # instantiateStreaming refuses any other type
                           ("/static/vendor/zxing-wasm/zxing_reader.wasm", "application/wasm")]:
        response = client.get(path)
        assert response.status_code == 200, path
        assert response.mimetype == mimetype, path
        response.close()


def test_the_till_page_csp_allows_wasm_but_not_eval(client):
    response = client.get("/till/")
    directives = _directives(response.headers["Content-Security-Policy"])
    scripts = directives["script-src"]
    assert "'wasm-unsafe-eval'" in scripts and "'self'" in scripts
    assert "'unsafe-eval'" not in scripts and "'unsafe-inline'" not in scripts
    assert not [source for source in scripts if source not in ("'self'", "'wasm-unsafe-eval'")]
    # The .wasm is fetched from our own origin; no worker, no blob: needed.
    assert directives["default-src"] == ["'self'"]
    assert "connect-src" not in directives and "worker-src" not in directives
    assert not [words for words in directives.values()
                if any("blob:" in word or word.strip("'") == "unsafe-eval" for word in words)]
    assert "camera=(self)" in response.headers["Permissions-Policy"]
