"""A local directory laid out like the FineWeb-Edu Hub repo, and a tiny flaky HTTP server for it.

`make_repo` writes `sample/10BT/00N_00000.parquet` with FineWeb's columns and a README.md whose
YAML `configs:` block is the one HuggingFaceFW/fineweb-edu has, so `datasets.load_dataset(dir,
name="sample-10BT", streaming=True)` goes through the same code path as the Hub.
"""

from __future__ import annotations

import http.server
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

README = """---
configs:
- config_name: sample-10BT
  data_files:
  - split: train
    path: sample/10BT/*
---
# FineWeb-Edu (test copy)
"""
FILES, ROWS, ROW_GROUP = 3, 40, 12  # 3 files x 40 rows in row groups of 12 -> 4 groups per file


def documents(english: str, chinese: str, count: int = FILES * ROWS) -> list[str]:
    """`count` documents of real prose, 300-3000 characters, English and Chinese mixed."""
    docs, at = [], 0
    for i in range(count):
        source = chinese if i % 5 == 0 else english
        size = 300 + (i * 271) % 2700
        docs.append(source[at % (len(source) - size) :][:size])
        at += size
    return docs


def make_repo(root: Path, docs: list[str], rows: int = ROWS) -> Path:
    """FILES parquet files of `rows` documents each (row groups of ROW_GROUP rows) under `root`."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    data = root / "sample" / "10BT"
    data.mkdir(parents=True)
    (root / "README.md").write_text(README)
    for f in range(FILES):
        texts = docs[f * rows : (f + 1) * rows]
        n = len(texts)
        table = pa.table(
            {
                "text": texts,
                "id": [f"<urn:uuid:{f}-{i}>" for i in range(n)],
                "dump": ["CC-MAIN-2024-10"] * n,
                "url": [f"https://example.org/{f}/{i}" for i in range(n)],
                "date": ["2024-02-21T00:00:00Z"] * n,
                "file_path": [f"s3://commoncrawl/{f}.warc.gz"] * n,
                "language": ["en"] * n,
                "language_score": [0.9] * n,
                "token_count": [len(t) // 4 for t in texts],
            }
        )
        pq.write_table(table, data / f"{f:03d}_00000.parquet", row_group_size=ROW_GROUP)
    return root


class _Handler(http.server.SimpleHTTPRequestHandler):
    """Serves a directory with Range support; fails the first `failures` GETs of `flaky` (503 or drop)."""

    def log_message(self, *args: object) -> None:  # keep test output quiet
        pass

    def do_GET(self) -> None:
        state = self.server.state  # type: ignore[attr-defined]
        if self.path.endswith(state["flaky"]) and self.headers.get("Range") and state["failures"] > 0:
            state["failures"] -= 1
            state["failed"] += 1
            if state["mode"] == "drop":
                self.connection.close()
                return
            self.send_error(503, "try later")
            return
        range_header = self.headers.get("Range")
        path = Path(self.translate_path(self.path))
        if not path.is_file():
            self.send_error(404)
            return
        body = path.read_bytes()
        start, end = 0, len(body) - 1
        if range_header and range_header.startswith("bytes="):
            first, _, last = range_header[6:].partition("-")
            start = int(first) if first else len(body) - int(last)
            end = int(last) if first and last else len(body) - 1
            end = min(end, len(body) - 1)
        part = body[start : end + 1]
        self.send_response(206 if range_header else 200)
        self.send_header("Content-Length", str(len(part)))
        self.send_header("Accept-Ranges", "bytes")
        if range_header:
            self.send_header("Content-Range", f"bytes {start}-{end}/{len(body)}")
        self.end_headers()
        self.wfile.write(part)

    def do_HEAD(self) -> None:
        path = Path(self.translate_path(self.path))
        if not path.is_file():
            self.send_error(404)
            return
        self.send_response(200)
        self.send_header("Content-Length", str(path.stat().st_size))
        self.send_header("Accept-Ranges", "bytes")
        self.end_headers()


@contextmanager
def serve(directory: Path, flaky: str = "", failures: int = 0, mode: str = "503") -> Iterator[tuple[str, dict]]:
    """(base URL, state) of an HTTP server on 127.0.0.1 serving `directory` until the block ends."""
    handler = lambda *a, **k: _Handler(*a, directory=str(directory), **k)  # noqa: E731
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.state = {"flaky": flaky or "\0", "failures": failures, "failed": 0, "mode": mode}  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", server.state  # type: ignore[attr-defined]
    finally:
        server.shutdown()
        server.server_close()
