"""Message appends under concurrent HTTP load (issue 17): `wrk` posts agent messages to the
real release binary on SQLite, over many connections at once, and the baseline is `wrk` against
`GET /favicon.ico` (a route that touches no database) with the same threads and connections in
the same run: what the load generator and the HTTP stack alone can do on this machine.

Every message carries a fresh clientMessageId; afterwards the database is opened and every
answered 201 must be a stored message (and nothing else may have been answered).

Usage:
    swift build -c release --package-path Benchmarks --product kefu
    .venv/bin/python Benchmarks/load/append_load.py --bin Benchmarks/.build/release/kefu --connections 64 --seconds 10
"""
import argparse
import json
import re
import sqlite3
import subprocess
import tempfile
import urllib.request
import uuid

from common import Kefu, LoadError, run_and_report

LUA = r"""
local ids = {%(ids)s}
local token = "%(token)s"
local prefix = "%(prefix)s"
local private = %(private)s
local counter = 0
local thread_number = 0
local threads = {}
local next_thread = 0

function setup(thread)
  next_thread = next_thread + 1
  thread:set("number", next_thread)
  table.insert(threads, thread)
end

function init(args)
  thread_number = tonumber(wrk.thread:get("number")) or 0
end

request = function()
  counter = counter + 1
  local conversation = ids[(counter %% #ids) + 1]
  local body = string.format('{"text":"load %%d 我的提现还没到账","clientMessageId":"%%s-%%d-%%d","private":%%s}',
    counter, prefix, thread_number, counter, private)
  return wrk.format("POST", "/api/v1/conversations/" .. conversation .. "/messages",
    {["Authorization"] = "Bearer " .. token, ["Content-Type"] = "application/json"}, body)
end

local answered = {}
response = function(status, headers, body)
  answered[status] = (answered[status] or 0) + 1
end

done = function(summary, latency, requests)
  io.write(string.format("STATUS-SUMMARY non2xx=%%d\n", summary.errors.status))
end
"""


def http(method, url, body=None, token=None):
    request = urllib.request.Request(url, method=method, data=json.dumps(body).encode() if body is not None else None)
    request.add_header("Content-Type", "application/json")
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read() or b"{}")


def run_wrk(url, threads, connections, seconds, script=None):
    command = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "--latency"]
    if script:
        command += ["-s", script]
    output = subprocess.run(command + [url], capture_output=True, text=True, timeout=seconds + 60).stdout
    rate = re.search(r"Requests/sec:\s+([\d.]+)", output)
    total = re.search(r"(\d+) requests in", output)
    if not rate or not total:
        raise LoadError(f"wrk printed no figures:\n{output}")

    def ms(label):
        match = re.search(rf"^\s+{label}%\s+([\d.]+)(us|ms|s)\s*$", output, re.M)
        if not match:
            raise LoadError(f"wrk printed no {label}th percentile:\n{output}")
        value, unit = float(match.group(1)), match.group(2)
        return value / 1000 if unit == "us" else value * 1000 if unit == "s" else value

    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    errors = re.search(r"Socket errors: (.*)", output)
    return {"requests_per_s": float(rate.group(1)), "requests": int(total.group(1)), "p50_ms": ms("50"), "p99_ms": ms("99"),
            "non_2xx": int(non2xx.group(1)) if non2xx else 0, "socket_errors": errors.group(1) if errors else None}


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--bin", default="Benchmarks/.build/release/kefu")
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--kind", choices=["reply", "note"], default="reply")
    args = parser.parse_args()

    with Kefu(args.bin, "--demo", KEFU_TRUST_PROXY="true") as kefu:
        base = f"http://127.0.0.1:{kefu.port}"
        kefu.wait_until(lambda: urllib.request.urlopen(base + "/healthz", timeout=1).close(), "GET /healthz")
        token = http("POST", base + "/api/v1/auth/login", {"email": "admin@kefu.example", "password": "kefu-demo-admin"})["token"]
        # Chat conversations only: an agent's reply in an email conversation is also a mail
        # composed and queued (its own figures are in "Email").
        chat = {i["id"] for i in http("GET", base + "/api/v1/inboxes", token=token)["items"] if i["kind"] == "webchat"}
        conversations = [c["id"] for c in http("GET", base + "/api/v1/conversations?limit=100", token=token)["items"] if c["inboxId"] in chat]
        if not conversations:
            raise LoadError("the demo data has no chat conversations")
        baseline = run_wrk(base + "/favicon.ico", args.threads, args.connections, args.seconds)
        prefix = "load-" + uuid.uuid4().hex[:8]
        with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
            script.write(LUA % {"ids": ", ".join(f'"{c}"' for c in conversations), "token": token, "prefix": prefix,
                                "private": "true" if args.kind == "note" else "false"})
        appends = run_wrk(base + "/", args.threads, args.connections, args.seconds, script.name)
        kefu.check_alive()
        database = sqlite3.connect(kefu.env["KEFU_DATABASE_URL"].removeprefix("sqlite://"))
        stored = database.execute("SELECT COUNT(*) FROM messages WHERE client_message_id LIKE ?", (prefix + "-%",)).fetchone()[0]
        database.close()
        answered = appends["requests"] - appends["non_2xx"]
        # wrk counts requests it completed; a 201 for every one that was not an error, and each stored.
        if appends["non_2xx"] or stored < answered:
            raise LoadError(f"{appends['non_2xx']} answers were not 2xx; {stored} stored for {answered} answered")

    result = {"kind": args.kind, "connections": args.connections, "conversations": len(conversations), "appends": appends,
              "stored": stored, "baseline_favicon": baseline,
              "ratio_throughput": round(baseline["requests_per_s"] / appends["requests_per_s"], 2),
              "ratio_p50": round(appends["p50_ms"] / baseline["p50_ms"], 2)}
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    run_and_report(main, "append_load")
