"""What an attacker or an unlucky operator tried on the last wave (issue 11), against the real
binary: connection floods and connections that never finish, a secret key another user cannot
read, and `kefu ingest-email` failing for reasons that are not the mail's."""
import os
import resource
import shutil
import socket
import subprocess
import time

import pytest
import requests

from conftest import KEFU_BIN, KefuServer, free_port


def start_limited(server, descriptors, **env):
    """Starts `kefu serve` with `env` and a descriptor limit."""
    server.env.update({key: str(value) for key, value in env.items()})
    return server.start(descriptors=descriptors)


def read_all(sock, timeout):
    """Everything the server sends until it closes (or the timeout passes: then None)."""
    sock.settimeout(timeout)
    data = b""
    try:
        while True:
            chunk = sock.recv(65536)
            if not chunk:
                return data
            data += chunk
    except socket.timeout:
        return None


@pytest.fixture
def flood_client_limit():
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, 20000), hard))
    yield
    resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))


def test_a_flood_of_idle_and_unfinished_connections_never_stops_healthz_or_the_smtp_greeting(flood_client_limit):
    """Before: ~20,000 idle connections exhausted the descriptors and /healthz and the SMTP
    greeting timed out for as long as they were held. With 512 descriptors, ten times that many
    connections of every unfinished kind must leave both answering at once."""
    smtp_port = free_port()
    server = start_limited(KefuServer(), 512, KEFU_SMTP_LISTEN=f"127.0.0.1:{smtp_port}")
    held = []
    try:
        openers = [b"", b"GET /hea", b"GET /healthz HTTP/1.1\r\nHost: x\r\n", bytes(range(1, 200)),
                   b"POST /api/v1/auth/login HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n{"]
        for index in range(3000):
            sock = socket.create_connection(("127.0.0.1", server.port), timeout=5)
            if openers[index % len(openers)]:
                sock.sendall(openers[index % len(openers)])
            held.append(sock)
        for _ in range(300):
            held.append(socket.create_connection(("127.0.0.1", smtp_port), timeout=5))

        started = time.time()
        response = requests.get(server.url + "/healthz", timeout=5)
        assert response.status_code == 200 and response.json() == {"status": "ok"}
        assert time.time() - started < 3
        greeting = socket.create_connection(("127.0.0.1", smtp_port), timeout=5)
        held.append(greeting)
        greeting.settimeout(5)
        assert greeting.recv(200).startswith(b"220 ")
        # The process kept its descriptors below the limit and is alive.
        assert server.process.poll() is None
        assert len(os.listdir(f"/proc/{server.process.pid}/fd")) < 512
        # Connections that only held a slot were closed to make room; the oldest first.
        assert read_all(held[0], 5) is not None
    finally:
        for sock in held:
            sock.close()
        server.stop()


@pytest.mark.parametrize("opener, status", [
    (b"", None),                                                   # nothing: closed silently
    (b"GET /heal", b"408"),                                        # half a request line
    (b"GET /healthz HTTP/1.1\r\nHost: x\r\n", b"408"),             # half the headers
    (b"POST /api/v1/auth/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{",
     b"408"),                                                      # a body shorter than its length
    (bytes(range(1, 200)) + b"\r\n\r\n", b"400"),                  # not HTTP at all
])
def test_connections_that_never_finish_are_answered_and_closed(opener, status):
    server = start_limited(KefuServer(), 4096, KEFU_HTTP_IDLE_TIMEOUT=2, KEFU_HTTP_REQUEST_TIMEOUT=2)
    try:
        sock = socket.create_connection(("127.0.0.1", server.port), timeout=5)
        if opener:
            sock.sendall(opener)
        started = time.time()
        answer = read_all(sock, 15)
        assert answer is not None, "still open after 15 s"
        assert time.time() - started < 10
        if status is None:
            assert answer == b""
        else:
            assert answer.startswith(b"HTTP/1.1 " + status)
            assert b"application/problem+json" in answer and b"Connection: close" in answer
        # A keep-alive connection that finished its request is closed after the idle timeout too.
        alive = socket.create_connection(("127.0.0.1", server.port), timeout=5)
        alive.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        answer = read_all(alive, 15)
        assert answer is not None and answer.startswith(b"HTTP/1.1 200")
    finally:
        server.stop()


def test_chat_sockets_outlive_the_idle_timeout_and_a_full_address_is_refused_with_a_problem():
    """Upgraded WebSockets are left to their pings (no idle timeout) and are never evicted; when
    every connection of an address is such a socket, a newcomer is refused with a 503 problem."""
    import asyncio

    import websockets

    server = start_limited(KefuServer(), 4096, KEFU_HTTP_MAX_CONNECTIONS_PER_ADDRESS=3, KEFU_HTTP_IDLE_TIMEOUT=1,
                           KEFU_HTTP_REQUEST_TIMEOUT=1)
    try:
        server.cli("demo")
        token = server.api_login("admin@kefu.example", "kefu-demo-admin")
        inbox = next(i for i in requests.get(server.url + "/api/v1/inboxes", headers={"Authorization": f"Bearer {token}"},
                                             timeout=10).json()["items"] if i["kind"] == "webchat")
        sessions = [requests.post(server.url + "/api/v1/widget/sessions", json={"inboxId": inbox["id"]}, timeout=10).json()
                    for _ in range(3)]
        ws_base = server.url.replace("http://", "ws://")

        async def scenario():
            sockets = [await websockets.connect(f"{ws_base}/api/v1/widget/ws?token={s['sessionToken']}") for s in sessions]
            for sock in sockets:
                await asyncio.wait_for(sock.recv(), 5)
            await asyncio.sleep(3)  # three idle timeouts
            refused = await asyncio.get_running_loop().run_in_executor(
                None, lambda: requests.get(server.url + "/healthz", timeout=5))
            for sock in sockets:
                await sock.ping()  # still open
            await sockets[0].close()
            await asyncio.sleep(0.5)
            admitted = await asyncio.get_running_loop().run_in_executor(
                None, lambda: requests.get(server.url + "/healthz", timeout=5))
            for sock in sockets[1:]:
                await sock.close()
            return refused, admitted

        refused, admitted = asyncio.run(scenario())
        assert refused.status_code == 503
        assert refused.headers["Content-Type"].startswith("application/problem+json")
        assert refused.headers["Retry-After"] == "1"
        assert refused.json()["code"] == "too_many_connections"
        assert admitted.status_code == 200
    finally:
        server.stop()


def test_a_flood_of_chat_sockets_from_one_address_never_takes_the_server():
    """Upgraded WebSockets are never evicted. One address may hold at most a quarter of the
    connections (and chat sockets nine in ten of them), so a flood of public widget sockets
    cannot refuse everyone else's pages, API calls and health checks."""
    import asyncio

    import websockets

    server = start_limited(KefuServer(), 4096, KEFU_HTTP_MAX_CONNECTIONS=12)
    try:
        server.cli("demo")
        token = server.api_login("admin@kefu.example", "kefu-demo-admin")
        inbox = next(i for i in requests.get(server.url + "/api/v1/inboxes", headers={"Authorization": f"Bearer {token}"},
                                             timeout=10).json()["items"] if i["kind"] == "webchat")
        session = requests.post(server.url + "/api/v1/widget/sessions", json={"inboxId": inbox["id"]}, timeout=10).json()
        ws_url = server.url.replace("http://", "ws://") + f"/api/v1/widget/ws?token={session['sessionToken']}"

        def healthz_from(source):
            sock = socket.create_connection(("127.0.0.1", server.port), timeout=5, source_address=(source, 0))
            sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            return read_all(sock, 5) or b""

        async def scenario():
            opened, refused = [], []
            for _ in range(5):
                try:
                    sock = await websockets.connect(ws_url)
                    await asyncio.wait_for(sock.recv(), 5)
                    opened.append(sock)
                except websockets.exceptions.InvalidStatus as refusal:
                    refused.append(refusal.response)
            loop = asyncio.get_running_loop()
            other = await loop.run_in_executor(None, healthz_from, "127.0.0.2")
            for sock in opened:
                await sock.close()
            return opened, refused, other

        opened, refused, other = asyncio.run(scenario())
        assert len(opened) == 3
        assert [r.status_code for r in refused] == [503, 503]
        assert all(b"too_many_connections" in r.body for r in refused)
        assert other.startswith(b"HTTP/1.1 200"), other
    finally:
        server.stop()


def test_a_reader_that_never_reads_is_dropped_after_the_request_timeout():
    """A slow-read attack: ask for a large answer and never read it. Busy connections have no
    idle deadline and are never evicted, so without a write deadline each such request would
    hold its slot forever."""
    server = start_limited(KefuServer(), 4096, KEFU_HTTP_REQUEST_TIMEOUT=2)
    try:
        server.cli("demo")
        token = server.api_login("admin@kefu.example", "kefu-demo-admin")
        size = 10 << 20
        uploaded = requests.post(server.url + "/api/v1/attachments?filename=big.pdf", data=b"%PDF-1.4\n" + os.urandom(size - 9),
                                 headers={"Authorization": f"Bearer {token}", "Content-Type": "application/pdf"}, timeout=60)
        assert uploaded.status_code == 201, uploaded.text
        sock = socket.socket()
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        sock.connect(("127.0.0.1", server.port))
        sock.sendall(f"GET /api/v1/attachments/{uploaded.json()['id']} HTTP/1.1\r\nHost: x\r\n"
                     f"Authorization: Bearer {token}\r\n\r\n".encode())
        time.sleep(8)
        received = read_all(sock, 30)
        assert received is not None, "the server kept writing"
        assert len(received) < size, "the whole answer was delivered: the connection was never dropped"
    finally:
        server.stop()


@pytest.fixture
def nobody_data_dir(tmp_path):
    """A data directory anyone can enter, with a secret key only root can read."""
    data = tmp_path / "data"
    data.mkdir()
    os.chmod(tmp_path, 0o755)
    os.chmod(data, 0o777)
    key = data / "secret.key"
    key.write_text("ab" * 32 + "\n")
    os.chmod(key, 0o600)
    return data


def run_as_nobody(args, env, stdin=b""):
    return subprocess.run(["runuser", "-u", "nobody", "--", KEFU_BIN, *args], env=env, input=stdin, capture_output=True, timeout=60)


@pytest.mark.skipif(os.geteuid() != 0 or not shutil.which("runuser"), reason="needs root to act as another user")
def test_a_key_another_user_cannot_read_stops_kefu_and_is_never_replaced(nobody_data_dir, tmp_path):
    key = nobody_data_dir / "secret.key"
    before = key.read_bytes()
    env = dict(os.environ, KEFU_DATA_DIR=str(nobody_data_dir), KEFU_DATABASE_URL=f"sqlite://{nobody_data_dir}/kefu.sqlite",
               KEFU_HTTP_PORT=str(free_port()))
    result = run_as_nobody(["serve"], env)
    assert result.returncode != 0
    output = (result.stdout + result.stderr).decode()
    assert "cannot be read" in output and "never replaces a key" in output
    assert key.read_bytes() == before
    assert oct(key.stat().st_mode & 0o777) == "0o600" and key.stat().st_uid == 0
    # A malformed key stops root too, and stays as it is.
    key.write_text("garbage\n")
    result = subprocess.run([KEFU_BIN, "serve"], env=env, capture_output=True, timeout=60)
    assert result.returncode != 0 and b"does not hold a key" in result.stdout + result.stderr
    assert key.read_text() == "garbage\n"


def test_two_processes_starting_together_agree_on_the_key(tmp_path):
    data = tmp_path / "data"
    env = dict(os.environ, KEFU_DATA_DIR=str(data), KEFU_DATABASE_URL=f"sqlite://{tmp_path}/kefu.sqlite")
    runs = [subprocess.Popen([KEFU_BIN, "demo"], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT) for _ in range(4)]
    for run in runs:
        run.wait(timeout=120)
    key = (data / "secret.key").read_text()
    assert len(key.strip()) == 64
    # The demo's sealed TOTP secrets are readable with that one key: a restart serves logins.
    assert [p for p in os.listdir(data) if p.startswith(".secret")] == []


MAIL = b"From: li@example.cn\r\nTo: support@localhost\r\nSubject: hi\r\nMessage-ID: <x1@example.cn>\r\n\r\nhello\r\n"


@pytest.mark.parametrize("setting, value", [
    ("KEFU_DATABASE_URL", "postgres://kefu@127.0.0.1:9/nothing_listens_here"),
    ("KEFU_DATABASE_URL", "mysql://not-a-database-kefu-knows"),
    ("KEFU_SMTP_RELAY", "not a relay url"),
    ("KEFU_SUPPORT_ADDRESS", "not an address"),
])
def test_ingest_email_asks_the_mta_to_retry_for_every_failure_that_is_not_the_mails(tmp_path, setting, value):
    env = dict(os.environ, KEFU_DATA_DIR=str(tmp_path / "data"), KEFU_DATABASE_URL=f"sqlite://{tmp_path}/kefu.sqlite")
    env[setting] = value
    result = subprocess.run([KEFU_BIN, "ingest-email"], env=env, input=MAIL, capture_output=True, timeout=120)
    assert result.returncode == 75, result.stdout + result.stderr


@pytest.mark.parametrize("setting", ["KEFU_HTTP_PORT=abc", "KEFU_TRUST_PROXY=maybe", "KEFU_HTTP_IDLE_TIMEOUT=soon"])
def test_a_setting_that_cannot_be_read_stops_kefu_instead_of_its_default(tmp_path, setting):
    name, value = setting.split("=")
    env = dict(os.environ, KEFU_DATA_DIR=str(tmp_path / "data"), KEFU_DATABASE_URL=f"sqlite://{tmp_path}/kefu.sqlite")
    env[name] = value
    result = subprocess.run([KEFU_BIN, "serve"], env=env, capture_output=True, timeout=60)
    assert result.returncode != 0 and name.encode() in result.stdout + result.stderr
    ingest = subprocess.run([KEFU_BIN, "ingest-email"], env=env, input=MAIL, capture_output=True, timeout=60)
    assert ingest.returncode == 75


def test_ingest_email_exit_codes_for_the_mail_and_the_command_line(tmp_path):
    env = dict(os.environ, KEFU_DATA_DIR=str(tmp_path / "data"), KEFU_DATABASE_URL=f"sqlite://{tmp_path}/kefu.sqlite")
    run = lambda *args, stdin=MAIL: subprocess.run([KEFU_BIN, "ingest-email", *args], env=env, input=stdin, capture_output=True, timeout=120)
    assert run("--no-such-option").returncode == 75    # a wrong pipe command: the mail waits in the queue
    assert run("--help").returncode == 0
    assert run(stdin=b"").returncode == 65             # no mail: the mail's fault
    # No database there (a wrong or missing KEFU_DATABASE_URL): retry later, and none is created
    # where no server would ever read the mail.
    assert run().returncode == 75
    assert not (tmp_path / "kefu.sqlite").exists()
    subprocess.run([KEFU_BIN, "migrate"], env=env, capture_output=True, timeout=120, check=True)
    assert run().returncode == 0
    # An unreadable data directory (the attachments go there) is not the mail's fault either.
    blocked = tmp_path / "blocked"
    blocked.write_text("a file where the data directory should be")
    env["KEFU_DATA_DIR"] = str(blocked)
    assert run().returncode == 75
