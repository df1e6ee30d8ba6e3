"""Live-chat load benchmark: N visitors and M agents on loopback against a real `kefu` binary.

Measures, in one run:
- customer → agent latency: from a visitor sending a message to an agent's feed receiving it
  (p50/p99), and message throughput with every visitor sending at once;
- server memory per open WebSocket (RSS before and after opening the visitors' sockets);
- the baseline: round trips of `GET /healthz` (one trivial query) on a kept-alive connection,
  from the same client in the same run, so figures compare as ratios on a noisy machine.

Usage (release build recommended):
    swift build -c release
    .venv/bin/python Benchmarks/load/chat_load.py --bin .build/release/kefu --visitors 200 --agents 5 --messages 10
"""
import argparse
import asyncio
import json
import time
import urllib.request
import uuid

import websockets

from common import Kefu, LoadError, percentile


def http(method, url, body=None, token=None, client=None):
    request = urllib.request.Request(url, method=method, data=json.dumps(body).encode() if body is not None else None)
    request.add_header("Content-Type", "application/json")
    if client:
        request.add_header("X-Forwarded-For", client)
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read() or b"{}")


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise LoadError(f"/proc/{pid}/status has no VmRSS line: the server's memory cannot be measured")


async def healthz_baseline(port, count):
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    samples = []
    request = f"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n\r\n".encode()
    for _ in range(count):
        start = time.perf_counter()
        writer.write(request)
        await writer.drain()
        headers = await reader.readuntil(b"\r\n\r\n")
        length = int([h for h in headers.split(b"\r\n") if h.lower().startswith(b"content-length")][0].split(b":")[1])
        await reader.readexactly(length)
        samples.append(time.perf_counter() - start)
        status_line = headers.split(b"\r\n", 1)[0]
        if not status_line.startswith(b"HTTP/1.1 200"):
            raise LoadError(f"the baseline GET /healthz answered {status_line!r}")
    writer.close()
    return samples


async def run(args):
    # Visitors come from many addresses, as on a real site (behind a proxy): one address may
    # start only so many chats (WidgetController.sessionsPerClient).
    with Kefu(args.bin, "--demo", KEFU_TRUST_PROXY="true") as kefu:
        port = kefu.port
        server = kefu.process
        base = f"http://127.0.0.1:{port}"
        kefu.wait_until(lambda: urllib.request.urlopen(base + "/healthz", timeout=1).close(), "GET /healthz")
        token = http("POST", base + "/api/v1/auth/login", {"email": "admin@kefu.example", "password": "kefu-demo-admin"})["token"]
        inbox = next((i for i in http("GET", base + "/api/v1/inboxes", token=token)["items"] if i["kind"] == "webchat"), None)
        if inbox is None:
            raise LoadError("the demo data has no webchat inbox")
        await asyncio.sleep(0.5)
        baseline = await healthz_baseline(port, args.baseline)

        sent = {}
        received = {}
        expected = args.visitors * args.messages
        done = asyncio.Event()
        feed_errors = []

        async def agent_feed(record):
            # A feed that ends or fails stops the run: the recording one is where latency is read.
            try:
                async with websockets.connect(f"ws://127.0.0.1:{port}/api/v1/agent/ws",
                                              additional_headers={"Authorization": f"Bearer {token}"}, max_queue=None) as ws:
                    async for raw in ws:
                        frame = json.loads(raw)
                        if record and frame.get("type") == "message" and frame.get("clientMsgId") in sent:
                            received.setdefault(frame["clientMsgId"], time.perf_counter())
                            if len(received) >= expected:
                                done.set()
                feed_errors.append("an agent feed was closed by the server")
            except asyncio.CancelledError:
                raise
            except Exception as error:  # noqa: BLE001 - reported below
                feed_errors.append(repr(error))
            done.set()

        agents = [asyncio.create_task(agent_feed(index == 0)) for index in range(args.agents)]
        await asyncio.sleep(0.5)

        sessions = [http("POST", base + "/api/v1/widget/sessions", {"inboxId": inbox["id"], "name": f"Visitor {n}"},
                         client=f"10.{n >> 16 & 255}.{n >> 8 & 255}.{n & 255}")
                    for n in range(args.visitors)]
        rss_before = rss_kib(server.pid)
        sockets = []
        for session in sessions:
            ws = await websockets.connect(f"ws://127.0.0.1:{port}/api/v1/widget/ws?token={session['sessionToken']}", max_queue=None)
            await ws.recv()  # hello
            sockets.append(ws)
        await asyncio.sleep(1)
        rss_after = rss_kib(server.pid)

        async def visitor(ws, number):
            for index in range(args.messages):
                client_id = str(uuid.uuid4())
                sent[client_id] = time.perf_counter()
                await ws.send(json.dumps({"type": "message", "clientMsgId": client_id, "text": f"visitor {number} message {index} 我的提现"}))
                while True:  # wait for this message's ack before the next one
                    frame = json.loads(await ws.recv())
                    if frame.get("type") == "ack" and frame.get("clientMsgId") == client_id:
                        break

        start = time.perf_counter()
        await asyncio.gather(*(visitor(ws, n) for n, ws in enumerate(sockets)))
        try:
            await asyncio.wait_for(done.wait(), timeout=120)
        except asyncio.TimeoutError:
            raise LoadError(f"the agent feed received {len(received)} of {expected} messages within 120 s") from None
        elapsed = time.perf_counter() - start
        if feed_errors:
            raise LoadError(f"an agent feed failed: {feed_errors[0]}")
        kefu.check_alive()
        latencies = [received[c] - sent[c] for c in received]
        for ws in sockets:
            await ws.close()
        for task in agents:
            task.cancel()

        result = {
            "visitors": args.visitors, "agents": args.agents, "messages": expected,
            "throughput_msgs_per_s": round(expected / elapsed, 1),
            "latency_ms": {"p50": round(percentile(latencies, 0.5) * 1000, 2), "p99": round(percentile(latencies, 0.99) * 1000, 2)},
            "baseline_healthz_ms": {"p50": round(percentile(baseline, 0.5) * 1000, 3), "p99": round(percentile(baseline, 0.99) * 1000, 3)},
            "rss_kib_per_socket": round((rss_after - rss_before) / args.visitors, 1),
            "rss_mib": {"before_sockets": round(rss_before / 1024, 1), "after_sockets": round(rss_after / 1024, 1)},
        }
        result["latency_ratio_p50"] = round(result["latency_ms"]["p50"] / result["baseline_healthz_ms"]["p50"], 1)
        print(json.dumps(result, indent=2))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--bin", default=".build/release/kefu")
    parser.add_argument("--visitors", type=int, default=200)
    parser.add_argument("--agents", type=int, default=5)
    parser.add_argument("--messages", type=int, default=10)
    parser.add_argument("--baseline", type=int, default=2000)
    asyncio.run(run(parser.parse_args()))
