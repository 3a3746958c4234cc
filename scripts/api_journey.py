#!/usr/bin/env python3
"""The API journey of a student-management system, over HTTP only (Python's standard
library; no portal code): token → submit a NAT zip → poll its status → read the issues →
commit the records without errors → poll until committed.

    python scripts/api_journey.py --base http://127.0.0.1:8000 --token cqr_… set.zip

Make the token on the RTO workspace's "API tokens" page (scopes submit and read). Prints
one JSON object per step and a summary; exit 0 when committed, 1 when the file was refused
or nothing could be committed, 2 when the API could not be used (e.g. 401)."""

from __future__ import annotations

import argparse
import json
import sys
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path


class ApiError(Exception):
    def __init__(self, status: int, problem: dict):
        super().__init__(f"HTTP {status}: {problem.get('detail', problem)}")
        self.status, self.problem = status, problem


def call(base: str, token: str, method: str, path: str, *, body=None, headers=None) -> dict:
    url = base.rstrip("/") + path
    if not url.startswith(("http://", "https://")):
        raise ValueError(f"--base must be an http(s) URL, not {base!r}")
    req = urllib.request.Request(url, data=body, method=method)  # noqa: S310 - checked above
    req.add_header("Authorization", f"Bearer {token}")
    req.add_header("Accept", "application/json, application/problem+json")
    for k, v in (headers or {}).items():
        req.add_header(k, v)
    try:
        with urllib.request.urlopen(req, timeout=60) as resp:  # noqa: S310 - the user's URL
            return json.loads(resp.read())
    except urllib.error.HTTPError as exc:
        raw = exc.read()
        try:
            problem = json.loads(raw)
        except ValueError:
            problem = {"detail": raw[:200].decode(errors="replace")}
        raise ApiError(exc.code, problem) from None


def multipart(fields: dict[str, str], name: str, filename: str, data: bytes) -> tuple[bytes, str]:
    boundary = uuid.uuid4().hex
    out = bytearray()
    for key, value in fields.items():
        out += f'--{boundary}\r\nContent-Disposition: form-data; name="{key}"\r\n\r\n'.encode()
        out += f"{value}\r\n".encode()
    out += (
        f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; filename="{filename}"'
        "\r\nContent-Type: application/zip\r\n\r\n"
    ).encode()
    out += data + f"\r\n--{boundary}--\r\n".encode()
    return bytes(out), f"multipart/form-data; boundary={boundary}"


def poll(base: str, token: str, sub_id: str, busy: set[str], timeout: float, say) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        sub = call(base, token, "GET", f"/api/v1/submissions/{sub_id}")
        progress = sub["progress"]
        say("status", status=sub["status"], phase=progress["phase"],
            rows_done=progress["rows_done"], rows_total=progress["rows_total"])  # fmt: skip
        if sub["status"] not in busy:
            return sub
        if time.monotonic() > deadline:
            raise TimeoutError(f"still {sub['status']} after {timeout:.0f} s")
        time.sleep(0.5)


def journey(base: str, token: str, path: Path, *, key: str, year: int | None, timeout: float,
            commit: bool = True, out=sys.stdout) -> dict:  # fmt: skip
    def say(step: str, **kw):
        out.write(json.dumps({"step": step, **kw}) + "\n")
        out.flush()

    fields = {"kind": "register"}
    if year:
        fields["collection_year"] = str(year)
    body, ctype = multipart(fields, "file", path.name, path.read_bytes())
    sub = call(base, token, "POST", "/api/v1/submissions", body=body,
               headers={"Content-Type": ctype, "Idempotency-Key": key})  # fmt: skip
    say("submitted", id=sub["id"], status=sub["status"], idempotency_key=key)
    sub = poll(base, token, sub["id"], {"received", "validating"}, timeout, say)
    counts = sub["counts"]
    say("validated", status=sub["status"], **counts)
    if sub["status"] not in ("validated", "committing", "committed"):  # refused or failed
        result = {"submission": sub["id"], "status": sub["status"], "reason": sub["reason"]}
        say("done", **result)
        return result
    issues, page = [], 1
    while True:
        got = call(
            base, token, "GET", f"/api/v1/submissions/{sub['id']}/issues?page={page}&page_size=200"
        )
        issues += got["items"]
        if page >= got["pages"]:
            break
        page += 1
    for i in issues[:20]:
        say("issue", rule=i["rule"], severity=i["severity"], file=i["file"], line=i["line"],
            field=i["field"], message=i["message"], hint=i["hint"])  # fmt: skip
    say("issues", count=len(issues))
    can_commit = sub["status"] == "validated" and counts["records"] > counts["records_with_errors"]
    if commit and can_commit:
        sub = call(base, token, "POST", f"/api/v1/submissions/{sub['id']}/commit")
        say("commit", status=sub["status"])
    if sub["status"] == "committing":  # ours, or a commit an earlier run started
        sub = poll(base, token, sub["id"], {"committing"}, timeout, say)
    result = {
        "submission": sub["id"],
        "status": sub["status"],
        "records": counts["records"],
        "records_with_errors": counts["records_with_errors"],
        "issues": len(issues),
        "committed": sub["counts"]["committed"],
    }
    say("done", **result)
    return result


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("file", type=Path)
    p.add_argument("--base", default="http://127.0.0.1:8000")
    p.add_argument("--token", required=True)
    p.add_argument("--idempotency-key", default=None, help="Default: a new UUID.")
    p.add_argument("--collection-year", type=int, default=None)
    p.add_argument("--no-commit", action="store_true")
    p.add_argument("--timeout", type=float, default=600)
    o = p.parse_args(argv)
    try:
        key = o.idempotency_key or uuid.uuid4().hex
        result = journey(o.base, o.token, o.file, key=key, year=o.collection_year,
                         timeout=o.timeout, commit=not o.no_commit)  # fmt: skip
    except ApiError as exc:
        print(json.dumps({"step": "error", "status": exc.status, **exc.problem}))
        return 1 if exc.status in (400, 409, 422) else 2
    except (OSError, TimeoutError, ValueError) as exc:
        print(json.dumps({"step": "error", "detail": str(exc)}))
        return 2
    return 0 if result["status"] == "committed" else 1


if __name__ == "__main__":
    sys.exit(main())
