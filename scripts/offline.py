"""Trunk post-build hook: list in offline.js (the site's service worker) the files a first load
fetches, so that it can keep a copy of them for offline use. Its hashed file names change with
every build, so the list is written here, into the staged copy.

The word-embedding shards are left out (1,908 files, 8.8 MB: a text fetches only its own, and
the service worker keeps those as they are fetched), and so are the licence files.
"""

import json
import os
import pathlib
import sys

staging = pathlib.Path(os.environ["TRUNK_STAGING_DIR"])
worker = staging / "offline.js"
if not worker.exists():
    sys.exit("offline.js is not in the build (index.html must copy src/offline/offline.js)")
files = ["./", "index.html"] + sorted(
    path.relative_to(staging).as_posix()
    for path in staging.rglob("*")
    if path.is_file()
    and path.parts[len(staging.parts)] != "embeddings"
    and path.name not in ("index.html", "offline.js")
    and not path.name.startswith("all-MiniLM-L6-v2.")
)
source = worker.read_text(encoding="utf-8")
marker = "const PRECACHE = [];"
if marker not in source:
    sys.exit("offline.js lacks the line " + marker)
worker.write_text(source.replace(marker, f"const PRECACHE = {json.dumps(files)};"), encoding="utf-8")
print(f"offline.py: {len(files)} files for the offline copy")
