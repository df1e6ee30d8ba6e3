"""A webhook receiver for the tests: keeps every request (headers and exact body) and answers
with the statuses a test queues (200 once the queue is empty)."""
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class Receiver:
    def __init__(self):
        self.requests = []
        self.statuses = []
        self.condition = threading.Condition()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            # One write per answer: unbuffered, each header is its own packet, and Nagle plus
            # delayed ACKs add 40 ms to every request.
            wbufsize = -1

            def log_message(self, *args):
                pass

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                with receiver.condition:
                    status = receiver.statuses.pop(0) if receiver.statuses else 200
                    receiver.requests.append({"path": self.path, "headers": {k.lower(): v for k, v in self.headers.items()},
                                              "body": body, "status": status, "at": time.time()})
                    receiver.condition.notify_all()
                answer = json.dumps({"received": status == 200}).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()

    def events(self, kind=None):
        with self.condition:
            found = [dict(r, json=json.loads(r["body"])) for r in self.requests]
        return [r for r in found if kind is None or r["json"]["type"] == kind]

    def wait(self, predicate, timeout=20):
        """Waits until predicate(events) is truthy; returns its value."""
        deadline = time.time() + timeout
        while time.time() < deadline:
            value = predicate(self.events())
            if value:
                return value
            with self.condition:
                self.condition.wait(timeout=0.2)
        raise AssertionError(f"timed out; received {[e['json']['type'] for e in self.events()]}")
