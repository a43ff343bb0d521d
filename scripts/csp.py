"""Trunk post-build hook: give the release page its Content-Security-Policy.

The only inline script is Trunk's loader, whose text names the hashed file names, so it is
allowed by its sha256, computed here after every build. WebAssembly needs 'wasm-unsafe-eval'
(never 'unsafe-eval'). Style attributes set by the app are allowed; <style> elements are not.
Debug builds (trunk serve) are left alone: Trunk injects its live-reload script there.
"""

import base64
import hashlib
import os
import pathlib
import re
import sys

if os.environ.get("TRUNK_PROFILE") != "release":
    sys.exit(0)
page = pathlib.Path(os.environ["TRUNK_STAGING_DIR"]) / "index.html"
html = page.read_text(encoding="utf-8")
scripts = re.findall(r"<script[^>]*>(.*?)</script>", html, flags=re.S)
hashes = " ".join(
    "'sha256-" + base64.b64encode(hashlib.sha256(s.encode("utf-8")).digest()).decode() + "'" for s in scripts
)
policy = (
    "default-src 'none'; "
    f"script-src 'self' 'wasm-unsafe-eval' {hashes}; "
    "style-src 'self'; style-src-attr 'unsafe-inline'; "
    "img-src 'self' data: blob:; connect-src 'self'; "
    "base-uri 'none'; form-action 'none'; object-src 'none'"
)
meta = f'<meta http-equiv="Content-Security-Policy" content="{policy}">'
if "Content-Security-Policy" in html:
    sys.exit("index.html already has a Content-Security-Policy")
# The policy must come before anything it governs.
html = html.replace('<meta charset="utf-8">', '<meta charset="utf-8">\n    ' + meta, 1)
page.write_text(html, encoding="utf-8")
print(f"csp.py: {len(scripts)} inline script(s) allowed by hash")
