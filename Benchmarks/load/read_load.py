"""Reads at scale (issue 17): the inbox list, a conversation page and the API's list and get on a
database of 20,000 conversations and 1,000,000 messages, measured with `wrk` against the real
release binary on SQLite; the baseline is `wrk` on `GET /favicon.ico` (a route that touches no
database) with the same threads and connections in the same run.

The demo database is made by `kefu serve --demo`; the conversations (each with its own contact,
50 messages, spread over the demo's inboxes, statuses and agents, their activity over the last
30 days) are then written into it directly with SQL, since a million appends through the API
would take longer than the measurement. Each request picks a different conversation, so a page
is not the same cached rows every time.

Usage:
    swift build -c release --package-path Benchmarks --product kefu
    .venv/bin/python Benchmarks/load/read_load.py --bin /tmp/kefu-bin/kefu-server --conversations 20000 --messages 50
"""
import argparse
import json
import random
import re
import sqlite3
import tempfile
import time
import urllib.parse
import urllib.request
import uuid
from http.cookiejar import CookieJar

from append_load import http, run_wrk
from common import Kefu, LoadError, run_and_report

ADMIN = ("admin@kefu.example", "kefu-demo-admin")

# Each request takes the next conversation of the list (threads start at different places).
LUA = r"""
local ids = {%(ids)s}
local path = "%(path)s"
local headers = {%(headers)s}
local counter = 0
local offset = 0
local next_thread = 0

function setup(thread)
  next_thread = next_thread + 1
  thread:set("offset", next_thread * 7919)
end

function init(args)
  offset = tonumber(wrk.thread:get("offset")) or 0
end

request = function()
  counter = counter + 1
  local id = ids[((counter + offset) %% #ids) + 1]
  return wrk.format("GET", string.gsub(path, "{id}", id), headers, nil)
end
"""


def seed(database_path, conversations, per_conversation):
    """Writes the conversations, their contacts and messages into the demo database."""
    db = sqlite3.connect(database_path, timeout=30)
    inboxes = [row[0] for row in db.execute("SELECT id FROM inboxes WHERE kind IN ('webchat', 'email')")]
    agents = [row[0] for row in db.execute("SELECT id FROM agents")]
    number = db.execute("SELECT value FROM counters WHERE name = 'conversation_number'").fetchone()[0]
    if not inboxes or not agents:
        raise LoadError("the demo database has no chat/email inboxes or no agents")
    now = int(time.time() * 1000)
    month = 30 * 86_400_000
    random.seed(17)
    statuses = ["open"] * 5 + ["pending"] * 2 + ["resolved"] * 3
    ids = []
    contacts, rows, messages = [], [], []
    for index in range(conversations):
        contact, conversation = str(uuid.uuid4()), str(uuid.uuid4())
        created = now - random.randrange(month)
        last = min(now, created + random.randrange(3_600_000))
        contacts.append((contact, f"访客 {index}", f"visitor{index}@example.cn", "zh-CN", created, created))
        status = random.choice(statuses)
        assignee = random.choice(agents + [None, None])
        number += 1
        rows.append((conversation, number, random.choice(inboxes), contact, f"提现问题 #{index}", status, "none", assignee,
                     per_conversation, per_conversation, per_conversation, last, last, created, last, ""))
        for seq in range(1, per_conversation + 1):
            direction = "incoming" if seq % 2 else "outgoing"
            author_kind, author_id = ("contact", contact) if direction == "incoming" else ("agent", assignee or agents[0])
            at = created + (last - created) * seq // per_conversation
            messages.append((str(uuid.uuid4()), conversation, seq, direction, author_kind, author_id,
                             f"消息 {seq}：我的提现还没有到账，请帮我看看 / message {seq} about my withdrawal", at))
        ids.append(conversation)
        if len(messages) >= 200_000:
            flush(db, contacts, rows, messages)
    flush(db, contacts, rows, messages)
    db.execute("UPDATE counters SET value = ? WHERE name = 'conversation_number'", (number,))
    db.commit()
    counts = db.execute("SELECT (SELECT COUNT(*) FROM conversations), (SELECT COUNT(*) FROM messages)").fetchone()
    db.close()
    return ids, counts


def flush(db, contacts, rows, messages):
    db.executemany("INSERT INTO contacts (id, name, email, locale, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)", contacts)
    db.executemany(
        """INSERT INTO conversations (id, number, inbox_id, contact_id, subject, status, priority, assignee_id, last_seq, contact_read_seq,
               agent_read_seq, last_message_at, last_activity_at, created_at, updated_at, sla_policy_id)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""", rows)
    db.executemany(
        """INSERT INTO messages (id, conversation_id, seq, direction, author_kind, author_id, body, created_at)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?)""", messages)
    db.commit()
    contacts.clear()
    rows.clear()
    messages.clear()


def console_cookie(base):
    """Signs in to the console as the demo admin and returns the session cookie header."""
    jar = CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    page = opener.open(base + "/console/login", timeout=10).read().decode()
    csrf = re.search(r'name="_csrf" value="([^"]+)"', page)
    if not csrf:
        raise LoadError("the console's sign-in page has no CSRF field")
    form = urllib.parse.urlencode({"_csrf": csrf.group(1), "email": ADMIN[0], "password": ADMIN[1]}).encode()
    opener.open(urllib.request.Request(base + "/console/login", data=form, method="POST"), timeout=10).read()
    cookies = "; ".join(f"{c.name}={c.value}" for c in jar)
    if "kefu_session" not in cookies:
        raise LoadError("signing in to the console set no session cookie")
    return cookies


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--bin", default="Benchmarks/.build/release/kefu")
    parser.add_argument("--conversations", type=int, default=20_000)
    parser.add_argument("--messages", type=int, default=50)
    parser.add_argument("--connections", type=int, default=4)
    parser.add_argument("--threads", type=int, help="wrk threads (default: 2, or 1 with one connection: wrk needs a connection per thread)")
    parser.add_argument("--seconds", type=int, default=10)
    args = parser.parse_args()
    args.threads = args.threads or min(2, args.connections)

    with Kefu(args.bin, "--demo") as kefu:
        base = f"http://127.0.0.1:{kefu.port}"
        kefu.wait_until(lambda: urllib.request.urlopen(base + "/healthz", timeout=1).close(), "GET /healthz")
        started = time.monotonic()
        ids, (conversations, messages) = seed(kefu.env["KEFU_DATABASE_URL"].removeprefix("sqlite://"), args.conversations, args.messages)
        seeded_s = round(time.monotonic() - started, 1)
        token = http("POST", base + "/api/v1/auth/login", {"email": ADMIN[0], "password": ADMIN[1]})["token"]
        cookie = console_cookie(base)
        # Every path must answer 200 before it is measured (a 404 page is fast and measures nothing).
        sample = ids[len(ids) // 2]
        cases = {
            "api: list conversations (50)": ("/api/v1/conversations?limit=50", {"Authorization": f"Bearer {token}"}),
            "api: get a conversation": ("/api/v1/conversations/{id}", {"Authorization": f"Bearer {token}"}),
            "api: a conversation's messages (50)": ("/api/v1/conversations/{id}/messages?limit=50", {"Authorization": f"Bearer {token}"}),
            "console: inbox list": ("/console", {"Cookie": cookie}),
            "console: conversation page": ("/console/conversations/{id}", {"Cookie": cookie}),
        }
        for name, (path, headers) in cases.items():
            request = urllib.request.Request(base + path.replace("{id}", sample), headers=headers)
            with urllib.request.urlopen(request, timeout=30) as response:
                if response.status != 200:
                    raise LoadError(f"{name}: {path} answered {response.status}")
        baseline = run_wrk(base + "/favicon.ico", args.threads, args.connections, args.seconds)
        results = {}
        for name, (path, headers) in cases.items():
            with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
                script.write(LUA % {"ids": ", ".join(f'"{c}"' for c in ids), "path": path,
                                    "headers": ", ".join(f'["{k}"] = "{v}"' for k, v in headers.items())})
            figures = run_wrk(base + "/", args.threads, args.connections, args.seconds, script.name)
            if figures["non_2xx"] or figures["socket_errors"]:
                raise LoadError(f"{name}: {figures['non_2xx']} answers were not 2xx, socket errors {figures['socket_errors']}")
            figures["p99_ratio"] = round(figures["p99_ms"] / baseline["p99_ms"], 1)
            results[name] = figures
        kefu.check_alive()

    print(json.dumps({"conversations": conversations, "messages": messages, "seeded_s": seeded_s, "connections": args.connections,
                      "baseline_favicon": baseline, "cases": results}, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    run_and_report(main, "read_load")
