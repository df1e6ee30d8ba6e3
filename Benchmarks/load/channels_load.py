"""Channel benchmarks against the real `kefu` binary (issue 13), each beside a baseline measured
in the same run:

- `telegram`: Telegram updates handled per second through the webhook route. A local fake of
  the Bot API (e2e/telegram_fake.py) is told the webhook by Kefu; this script then posts
  updates to `/telegram/webhook/{inbox}` with the secret, from C concurrent connections, each
  update a new message from one of U users (first ones start conversations). Telegram expects
  200 only once the update is stored, so latency is the whole ingest. Baseline: `GET
  /favicon.ico` (a bare route: no database) on the same connections.
- `webhooks`: deliveries per second to a local receiver. A subscription to message.created is
  made; N messages are stored through the API channel as fast as one client can; the rate is
  deliveries received per second from the first to the last, and the latency from a message's
  store to its delivery. Baseline: the same receiver hit directly by one client (the receiver's
  own ceiling on this machine).

Usage (release build):
    swift build -c release --package-path Benchmarks --product kefu
    .venv/bin/python Benchmarks/load/channels_load.py --bin Benchmarks/.build/release/kefu telegram --updates 2000 --connections 8
    .venv/bin/python Benchmarks/load/channels_load.py --bin Benchmarks/.build/release/kefu webhooks --messages 1000
"""
import argparse
import http.client
import json
import sys
import threading
import time
from pathlib import Path

from common import Kefu, LoadError, percentile

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "e2e"))
from telegram_fake import FakeTelegram  # noqa: E402
from webhook_receiver import Receiver  # noqa: E402

ADMIN = ("admin@kefu.example", "kefu-demo-admin")


def cli(kefu, *args, stdin=None):
    import subprocess
    result = subprocess.run([kefu.args[0], *args], env=kefu.env, input=stdin, capture_output=True, text=True, timeout=120)
    if result.returncode != 0:
        raise LoadError(f"kefu {' '.join(args)} failed: {result.stderr}")
    return result.stdout.strip()


def request(connection, method, path, body=None, headers=None, retried=False):
    data = json.dumps(body).encode() if body is not None else None
    try:
        connection.request(method, path, body=data, headers={"Content-Type": "application/json", **(headers or {})})
        response = connection.getresponse()
    except (BrokenPipeError, ConnectionResetError, http.client.RemoteDisconnected):
        # The server closed a keep-alive connection between requests: the request was not read.
        if retried:
            raise
        connection.close()
        return request(connection, method, path, body, headers, retried=True)
    payload = response.read()
    return response.status, payload


def admin_token(kefu):
    connection = http.client.HTTPConnection("127.0.0.1", kefu.port, timeout=30)
    status, body = request(connection, "POST", "/api/v1/auth/login", {"email": ADMIN[0], "password": ADMIN[1]})
    if status != 200:
        raise LoadError(f"login answered {status}: {body[:200]!r}")
    return json.loads(body)["token"]


def prepare(kefu):
    """The demo data's admin signs in (a small database: two inboxes, a dozen conversations)."""
    cli(kefu, "demo")


def timed_loop(connections, count, make_request):
    """Runs `count` requests over `connections` keep-alive connections; returns latencies (s) and wall time."""
    latencies, failures, lock = [], [], threading.Lock()
    counter = iter(range(count))

    def worker(connection):
        while True:
            with lock:
                index = next(counter, None)
            if index is None:
                return
            start = time.perf_counter()
            status, body = make_request(connection, index)
            elapsed = time.perf_counter() - start
            with lock:
                (latencies if status == 200 else failures).append(elapsed if status == 200 else (status, body[:200]))

    threads = [threading.Thread(target=worker, args=(c,)) for c in connections]
    began = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    wall = time.perf_counter() - began
    if failures:
        raise LoadError(f"{len(failures)} requests failed, e.g. {failures[:3]}")
    return latencies, wall


def telegram(args):
    fake = FakeTelegram()
    token = fake.add_bot("bench_bot")
    kefu = Kefu(args.bin, KEFU_TELEGRAM_API_URL=fake.url, KEFU_PUBLIC_URL="https://bench.example")
    prepare(kefu)  # before `serve` holds the database
    with kefu:
        kefu.wait_until(lambda: http.client.HTTPConnection("127.0.0.1", kefu.port, timeout=2).request("GET", "/healthz"), "kefu")
        time.sleep(0.5)
        auth = {"Authorization": f"Bearer {admin_token(kefu)}"}
        connection = http.client.HTTPConnection("127.0.0.1", kefu.port, timeout=30)
        status, body = request(connection, "POST", "/api/v1/inboxes", {"name": "Bench", "kind": "telegram", "botToken": token}, auth)
        if status != 201:
            raise LoadError(f"creating the Telegram inbox answered {status}: {body[:300]!r}")
        inbox = json.loads(body)["id"]
        bot = fake.bots[token]
        deadline = time.time() + 30
        while not bot.webhook and time.time() < deadline:
            time.sleep(0.1)
        if not bot.webhook:
            raise LoadError("Kefu never called setWebhook")
        secret = bot.webhook["secret_token"]
        path = f"/telegram/webhook/{inbox}"
        connections = [http.client.HTTPConnection("127.0.0.1", kefu.port, timeout=60) for _ in range(args.connections)]

        def baseline(connection, _):
            connection.request("GET", "/favicon.ico")
            response = connection.getresponse()
            return response.status, response.read()

        base, base_wall = timed_loop(connections, args.baseline, baseline)

        def update(connection, index):
            user = 5_000_000 + index % args.users
            body = {"update_id": 10_000 + index, "message": {"message_id": index + 1, "date": int(time.time()), "text": f"提币没到账 #{index}",
                    "from": {"id": user, "is_bot": False, "first_name": "User", "language_code": "zh-hans"},
                    "chat": {"id": user, "type": "private"}}}
            return request(connection, "POST", path, body, {"X-Telegram-Bot-Api-Secret-Token": secret})

        latencies, wall = timed_loop(connections, args.updates, update)
        kefu.check_alive()
        result = {
            "updates": args.updates, "users": args.users, "connections": args.connections,
            "updates_per_s": round(args.updates / wall), "p50_ms": round(percentile(latencies, 0.5) * 1000, 2),
            "p99_ms": round(percentile(latencies, 0.99) * 1000, 2),
            "baseline_per_s": round(args.baseline / base_wall), "baseline_p50_ms": round(percentile(base, 0.5) * 1000, 3),
        }
        result["ratio_p50"] = round(result["p50_ms"] / result["baseline_p50_ms"], 1)
        result["ratio_throughput"] = round(result["baseline_per_s"] / max(result["updates_per_s"], 1), 1)
    fake.close()
    print(json.dumps(result))


def webhooks(args):
    receiver = Receiver()
    kefu = Kefu(args.bin, KEFU_WEBHOOK_ALLOW_PRIVATE="true")
    prepare(kefu)
    with kefu:
        kefu.wait_until(lambda: http.client.HTTPConnection("127.0.0.1", kefu.port, timeout=2).request("GET", "/healthz"), "kefu")
        time.sleep(0.5)
        auth = {"Authorization": f"Bearer {admin_token(kefu)}"}
        connection = http.client.HTTPConnection("127.0.0.1", kefu.port, timeout=30)
        status, body = request(connection, "POST", "/api/v1/webhooks", {"url": receiver.url + "/bench", "events": ["message.created"]}, auth)
        if status != 201:
            raise LoadError(f"creating the subscription answered {status}: {body[:300]!r}")
        status, body = request(connection, "POST", "/api/v1/inboxes", {"name": "App", "kind": "api"}, auth)
        inbox = json.loads(body)["id"]
        service = {"Authorization": f"Bearer {cli(kefu, 'admin', 'token', '--scope', 'channel')}"}
        status, body = request(connection, "POST", f"/api/v1/channels/{inbox}/conversations",
                               {"contact": {"identifier": "bench"}, "text": "start", "clientMessageId": "start"}, service)
        conversation = json.loads(body)["conversationId"]
        receiver.wait(lambda events: len(events) >= 1, timeout=30)

        # The receiver's own ceiling: one client posting to it directly.
        direct = http.client.HTTPConnection("127.0.0.1", int(receiver.url.rsplit(":", 1)[1]), timeout=30)
        began = time.perf_counter()
        for index in range(args.baseline):
            direct.request("POST", "/direct", body=b"{}", headers={"Content-Type": "application/json"})
            direct.getresponse().read()
        base_rate = args.baseline / (time.perf_counter() - began)
        with receiver.condition:
            receiver.requests.clear()

        stored_at = {}
        began = time.perf_counter()
        for index in range(args.messages):
            stored_at[f"m{index}"] = time.time()
            status, body = request(connection, "POST", f"/api/v1/channels/{inbox}/conversations/{conversation}/messages",
                                   {"text": f"m{index}", "clientMessageId": f"m{index}"}, service)
            if status != 201:
                raise LoadError(f"a message answered {status}: {body[:200]!r}")
        store_wall = time.perf_counter() - began
        events = receiver.wait(lambda events: len(events) >= args.messages and events, timeout=300)
        kefu.check_alive()
        arrivals = sorted(e["at"] for e in events)
        lags = [e["at"] - stored_at[e["json"]["data"]["message"]["text"]] for e in events]
        result = {
            "messages": args.messages, "stored_per_s": round(args.messages / store_wall),
            "deliveries_per_s": round(len(events) / max(arrivals[-1] - arrivals[0], 1e-6)),
            "lag_p50_ms": round(percentile(lags, 0.5) * 1000, 1), "lag_p99_ms": round(percentile(lags, 0.99) * 1000, 1),
            "receiver_direct_per_s": round(base_rate),
        }
        result["ratio"] = round(result["receiver_direct_per_s"] / max(result["deliveries_per_s"], 1), 1)
    receiver.close()
    print(json.dumps(result))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--bin", default="Benchmarks/.build/release/kefu")
    sub = parser.add_subparsers(dest="case", required=True)
    t = sub.add_parser("telegram")
    t.add_argument("--updates", type=int, default=2000)
    t.add_argument("--users", type=int, default=200)
    t.add_argument("--connections", type=int, default=8)
    t.add_argument("--baseline", type=int, default=4000)
    w = sub.add_parser("webhooks")
    w.add_argument("--messages", type=int, default=1000)
    w.add_argument("--baseline", type=int, default=2000)
    args = parser.parse_args()
    try:
        (telegram if args.case == "telegram" else webhooks)(args)
    except LoadError as error:
        sys.exit(f"load run failed: {error}")


if __name__ == "__main__":
    main()
