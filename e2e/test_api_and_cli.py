"""The binary from the outside: every command's help, the API's contract, migrations, backups,
and the same flows on PostgreSQL when a server is available."""
import re
import sqlite3
import subprocess

import pytest
import requests

from chat_socket import ChatSocket
from conftest import DEMO_ADMIN, KEFU_BIN, POSTGRES_URL, KefuServer, unique_email

COMMANDS = [[], ["serve"], ["migrate"], ["demo"], ["admin"], ["admin", "create"], ["admin", "list"], ["admin", "disable"],
            ["admin", "reset-password"], ["admin", "reset-2fa"], ["backup"]]


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: " ".join(c) or "kefu")
def test_every_command_has_help(command):
    result = subprocess.run([KEFU_BIN, *command, "--help"], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert "USAGE" in result.stdout.upper()


def test_serve_help_lists_every_setting():
    text = subprocess.run([KEFU_BIN, "serve", "--help"], capture_output=True, text=True, timeout=60).stdout
    for setting in ["KEFU_DATABASE_URL", "KEFU_HTTP_HOST", "KEFU_HTTP_PORT", "KEFU_PUBLIC_URL", "KEFU_DATA_DIR",
                    "KEFU_SECRET_KEY", "KEFU_SMTP_LISTEN", "KEFU_SMTP_RELAY", "KEFU_SUPPORT_ADDRESS"]:
        assert setting in text


def test_api_contract_and_problem_details(demo_server):
    url = demo_server.url
    token = demo_server.api_login(*DEMO_ADMIN)
    auth = {"Authorization": f"Bearer {token}"}
    me = requests.get(url + "/api/v1/me", headers=auth, timeout=10).json()
    assert me["agent"]["email"] == DEMO_ADMIN[0]

    page = requests.get(url + "/api/v1/conversations", params={"status": "open", "limit": 2}, headers=auth, timeout=10).json()
    assert len(page["items"]) == 2 and page["nextCursor"]
    assert all(c["status"] == "open" for c in page["items"])

    for response, status, code in [
        (requests.post(url + "/api/v1/auth/login", data="{", headers={"Content-Type": "application/json"}, timeout=10), 400, "invalid_json"),
        (requests.post(url + "/api/v1/auth/login", data="email=x", headers={"Content-Type": "application/x-www-form-urlencoded"}, timeout=10), 415, "unsupported_media_type"),
        (requests.get(url + "/api/v1/conversations/00000000-0000-0000-0000-000000000000", headers=auth, timeout=10), 404, "conversation_not_found"),
        (requests.get(url + "/api/v1/me", headers={"Authorization": "Bearer expired-or-made-up"}, timeout=10), 401, "unauthenticated"),
        (requests.post(url + "/api/v1/inboxes", json={"name": "x" * 101, "kind": "email"}, headers=auth, timeout=10), 400, "validation_failed"),
    ]:
        assert response.status_code == status, response.text
        assert response.headers["Content-Type"] == "application/problem+json"
        assert response.json()["code"] == code

    metrics = requests.get(url + "/metrics", timeout=10).text
    assert "hb_requests" in metrics and "kefu_db_duration_seconds" in metrics
    spec = requests.get(url + "/openapi.yaml", timeout=10)
    assert spec.status_code == 200 and spec.text.startswith("openapi: 3.1.0")


def test_admin_cli_creates_agents_that_can_log_in(fresh_server):
    email = unique_email()
    printed = fresh_server.cli("admin", "create", "--email", email, "--name", "CLI Agent", "--role", "agent", stdin="").stdout
    password = printed.split("One-time password: ")[1].strip()
    token = fresh_server.api_login(email, password)
    assert token
    listing = fresh_server.cli("admin", "list").stdout
    assert email in listing and "CLI Agent" in listing
    duplicate = fresh_server.cli("admin", "create", "--email", email, "--name", "Again", stdin="", check=False)
    assert duplicate.returncode != 0
    reset = fresh_server.cli("admin", "reset-password", "--email", email).stdout
    assert requests.get(fresh_server.url + "/api/v1/me", headers={"Authorization": f"Bearer {token}"}, timeout=10).status_code == 401
    token = fresh_server.api_login(email, reset.split(": ")[-1].strip())
    blocked = requests.get(fresh_server.url + "/api/v1/conversations", headers={"Authorization": f"Bearer {token}"}, timeout=10)
    assert blocked.json()["code"] == "password_change_required"
    fresh_server.cli("admin", "disable", "--email", email)
    assert requests.get(fresh_server.url + "/api/v1/me", headers={"Authorization": f"Bearer {token}"}, timeout=10).status_code == 401


def test_backup_is_a_consistent_copy_while_serving(demo_server):
    target = demo_server.dir / "backup.sqlite"
    result = demo_server.cli("backup", "--to", str(target))
    assert "Backed up" in result.stdout
    with sqlite3.connect(target) as copy:
        assert copy.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        # The demo's twelve at least: the shared demo server may also hold chats other tests started.
        assert copy.execute("SELECT COUNT(*) FROM conversations").fetchone()[0] >= 12
    again = demo_server.cli("backup", "--to", str(target), check=False)
    assert again.returncode != 0


def test_migrate_is_idempotent():
    server = KefuServer()
    assert "Applied migrations: 1" in server.cli("migrate").stdout
    assert "up to date" in server.cli("migrate").stdout


def test_a_bad_database_url_is_a_clear_error():
    server = KefuServer(database_url="mysql://nope")
    result = server.cli("migrate", check=False)
    assert result.returncode != 0
    assert "KEFU_DATABASE_URL" in result.stderr + result.stdout


@pytest.mark.skipif(not POSTGRES_URL, reason="needs KEFU_TEST_POSTGRES_URL")
def test_the_same_flows_on_postgresql():
    server = KefuServer(backend="postgres")
    try:
        server.start("--demo")
        token = server.api_login(*DEMO_ADMIN)
        auth = {"Authorization": f"Bearer {token}"}
        items = requests.get(server.url + "/api/v1/conversations?limit=100", headers=auth, timeout=10).json()["items"]
        assert len(items) == 12
        first = items[0]["id"]
        sent = requests.post(f"{server.url}/api/v1/conversations/{first}/messages", json={"text": "PostgreSQL reply", "clientMessageId": "pg-1"}, headers=auth, timeout=10)
        again = requests.post(f"{server.url}/api/v1/conversations/{first}/messages", json={"text": "PostgreSQL reply", "clientMessageId": "pg-1"}, headers=auth, timeout=10)
        assert (sent.status_code, again.status_code) == (201, 200)
        assert sent.json()["id"] == again.json()["id"]
        backup = server.cli("backup", "--to", str(server.dir / "pg.dump"), check=False)
        assert backup.returncode == 2 and "pg_dump" in backup.stdout
    finally:
        server.close()


def test_shutdown_is_prompt_with_open_chat_sockets():
    """SIGTERM (systemctl stop, a deploy) must not wait for visitors to close their chats."""
    import asyncio
    import time

    server = KefuServer()
    server.start("--demo")
    token = server.api_login(*DEMO_ADMIN)
    auth = {"Authorization": f"Bearer {token}"}
    inbox = next(i for i in requests.get(server.url + "/api/v1/inboxes", headers=auth, timeout=10).json()["items"] if i["kind"] == "webchat")
    session = requests.post(server.url + "/api/v1/widget/sessions", json={"inboxId": inbox["id"]}, timeout=10).json()

    async def hold_sockets_and_stop():
        async with await ChatSocket.visitor(server, session["sessionToken"]) as visitor, await ChatSocket.agent(server, token) as agent:
            await visitor.expect("hello")
            await agent.expect("hello")
            started = time.monotonic()
            server.process.terminate()
            await asyncio.get_running_loop().run_in_executor(None, server.process.wait, 20)
            return time.monotonic() - started

    assert asyncio.run(hold_sockets_and_stop()) < 10
    assert server.process.returncode == 0


@pytest.mark.each_database
def test_demo_data_seeded_by_three_at_once_is_there_once(make_server):
    """Several instances started with --demo at the same moment (or `kefu demo` run twice): the
    first seeds, the others find it seeded, and none fails."""
    server = make_server()
    server.cli("migrate")
    runs = [subprocess.Popen([KEFU_BIN, "demo"], env=server.env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            for _ in range(3)]
    outcomes = [(run.wait(timeout=120), run.stderr.read()) for run in runs]
    assert [code for code, _ in outcomes] == [0, 0, 0], outcomes
    server.start()
    token = server.api_login(*DEMO_ADMIN)
    auth = {"Authorization": f"Bearer {token}"}
    conversations = requests.get(server.url + "/api/v1/conversations?limit=100", headers=auth, timeout=10).json()["items"]
    assert len(conversations) == 12
    agents = requests.get(server.url + "/api/v1/agents", headers=auth, timeout=10).json()["items"]
    assert sorted(a["email"] for a in agents) == ["admin@kefu.example", "agent@kefu.example"]
    help_page = requests.get(server.url + "/help/en", timeout=10).text
    categories = re.findall(r'<h3><a href="/help/en/categories/([a-z0-9-]+)"', help_page)
    assert "two-factor" in categories and len(categories) == len(set(categories)), categories
    assert '<a class="more" href="/help/en/categories/two-factor">3 articles →</a>' in help_page
