"""The load generator (Debian's wrk with a Lua script) and a small JSON client for set-up.

Both systems are driven by the same script: POST a JSON body, count responses by status
code, and print one RESULT line from done().
"""

from __future__ import annotations

import json
import shutil
import subprocess
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from benchmarks._procs import run_bounded

WRK = "/usr/bin/wrk"

# `response` counts every status code (wrk itself only counts codes above 399).
LUA_TEMPLATE = """
wrk.method = "POST"
wrk.body = {body}
{headers}
local threads = {{}}
function setup(thread) table.insert(threads, thread) end
function init(args) codes = {{}} end
function response(status, headers, body) codes[status] = (codes[status] or 0) + 1 end
done = function(summary, latency, requests)
  local s = summary
  local merged, list, ok = {{}}, {{}}, 0
  for _, thread in ipairs(threads) do
    for code, n in pairs(thread:get("codes")) do merged[code] = (merged[code] or 0) + n end
  end
  for code, n in pairs(merged) do
    table.insert(list, code .. ":" .. n)
    if code >= 200 and code < 300 then ok = ok + n end
  end
  table.sort(list)
  local errors = s.errors.connect + s.errors.read + s.errors.write + s.errors.timeout
  io.write(string.format("RESULT reqs=%d dur_s=%.2f rps=%.1f p50_ms=%.2f p95_ms=%.2f " ..
    "p99_ms=%.2f max_ms=%.2f mean_ms=%.2f non2xx=%d socket_errors=%d timeouts=%d codes=%s\\n",
    s.requests, s.duration / 1e6, s.requests / (s.duration / 1e6),
    latency:percentile(50) / 1000, latency:percentile(95) / 1000,
    latency:percentile(99) / 1000, latency.max / 1000, latency.mean / 1000,
    s.requests - ok, errors, s.errors.timeout, table.concat(list, ",")))
end
"""


def lua_string(text: str) -> str:
    """Quote text as a Lua string literal."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def write_script(path: Path, body: dict, headers: dict[str, str]) -> Path:
    """Write the wrk script that POSTs body as JSON with the given headers."""
    lines = "\n".join(
        f"wrk.headers[{lua_string(k)}] = {lua_string(v)}"
        for k, v in {"Content-Type": "application/json", **headers}.items()
    )
    path.write_text(LUA_TEMPLATE.format(body=lua_string(json.dumps(body)), headers=lines))
    return path


def require_wrk() -> None:
    if not (Path(WRK).exists() or shutil.which("wrk")):
        raise SystemExit("wrk is missing: apt-get install wrk")


@dataclass(frozen=True)
class WrkResult:
    requests: int
    duration_s: float
    rps: float
    p50_ms: float
    p95_ms: float
    p99_ms: float
    max_ms: float
    non2xx: int
    socket_errors: int
    timeouts: int
    codes: dict[int, int]
    line: str

    def count(self, code: int) -> int:
        return self.codes.get(code, 0)

    def as_dict(self) -> dict:
        data = dict(self.__dict__)
        data["codes"] = {str(k): v for k, v in self.codes.items()}
        return data


def parse_result(output: str) -> WrkResult:
    line = next((x for x in output.splitlines() if x.startswith("RESULT ")), None)
    if line is None:
        raise RuntimeError(f"wrk printed no RESULT line:\n{output[-2000:]}")
    fields = dict(item.split("=", 1) for item in line.split()[1:])
    codes = {}
    for item in filter(None, fields["codes"].split(",")):
        code, count = item.split(":")
        codes[int(code)] = int(count)
    return WrkResult(
        requests=int(fields["reqs"]),
        duration_s=float(fields["dur_s"]),
        rps=float(fields["rps"]),
        p50_ms=float(fields["p50_ms"]),
        p95_ms=float(fields["p95_ms"]),
        p99_ms=float(fields["p99_ms"]),
        max_ms=float(fields["max_ms"]),
        non2xx=int(fields["non2xx"]),
        socket_errors=int(fields["socket_errors"]),
        timeouts=int(fields["timeouts"]),
        codes=codes,
        line=line,
    )


def run_wrk(url: str, script: Path, *, clients: int, duration: int, timeout_s: int = 10):
    """Run wrk -t1 against url (127.0.0.1 only) and return its parsed RESULT line."""
    if not url.startswith(("http://127.0.0.1:", "http://localhost:")):
        raise ValueError(f"load goes to 127.0.0.1 only, not {url}")
    argv = [WRK, "-t1", f"-c{clients}", f"-d{duration}s", "--timeout", f"{timeout_s}s"]
    argv += ["-s", str(script), url]
    done = run_bounded(
        argv, timeout=duration + timeout_s + 30, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )
    return parse_result(done.stdout)


_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def http_json(method: str, url: str, body=None, headers=None, timeout: float = 15):
    """Send one request; return (status, parsed JSON or text, raw length)."""
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, method=method)
    request.add_header("Content-Type", "application/json")
    for key, value in (headers or {}).items():
        request.add_header(key, value)
    try:
        with _OPENER.open(request, timeout=timeout) as response:
            status, raw = response.status, response.read()
    except urllib.error.HTTPError as exc:
        status, raw = exc.code, exc.read()
    except (urllib.error.URLError, OSError):
        return 0, None, 0
    try:
        return status, json.loads(raw), len(raw)
    except ValueError:
        return status, raw.decode(errors="replace"), len(raw)
