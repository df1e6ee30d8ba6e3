"""Acknowledged means durable: `kill -9` in the middle of a write burst loses no acknowledged
write, on SQLite (group commit) and PostgreSQL alike (issue 17)."""
import signal
import sqlite3
import threading
import time
import uuid

import pytest
import requests

from conftest import DEMO_ADMIN


def post_until_stopped(server, token, conversations, acknowledged, stop, errors):
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {token}"
    while not stop.is_set():
        conversation = conversations[len(acknowledged) % len(conversations)]
        client_id = str(uuid.uuid4())
        body = {"text": f"burst {client_id[:8]} 提现", "clientMessageId": client_id, "private": len(acknowledged) % 2 == 0}
        try:
            response = session.post(f"{server.url}/api/v1/conversations/{conversation}/messages", json=body, timeout=10)
        except requests.RequestException:
            continue  # the server died before answering: not acknowledged
        if response.status_code == 201:
            acknowledged.append((conversation, client_id))
        elif response.status_code != 429:
            errors.append(f"{response.status_code} {response.text[:200]}")


def stored_client_ids(server, token, conversation):
    ids, since = [], 0
    while True:
        response = requests.get(f"{server.url}/api/v1/conversations/{conversation}/messages",
                                params={"since": since, "limit": 500}, headers={"Authorization": f"Bearer {token}"}, timeout=30)
        assert response.status_code == 200, response.text
        page = response.json()
        ids += [m.get("clientMessageId") for m in page["items"] if m.get("clientMessageId")]
        if not page.get("nextCursor"):
            return ids
        since = int(page["nextCursor"])


@pytest.mark.each_database
def test_kill_9_during_a_write_burst_loses_no_acknowledged_write(make_server, backend):
    server = make_server().start("--demo")
    token = server.api_login(*DEMO_ADMIN)
    listed = requests.get(f"{server.url}/api/v1/conversations", headers={"Authorization": f"Bearer {token}"}, timeout=10).json()
    conversations = [c["id"] for c in listed["items"]][:6]
    assert conversations, "the demo data has no conversations"

    acknowledged, errors, stop = [], [], threading.Event()
    writers = [threading.Thread(target=post_until_stopped, args=(server, token, conversations, acknowledged, stop, errors))
               for _ in range(16)]
    for writer in writers:
        writer.start()
    deadline = time.time() + 30
    while len(acknowledged) < 300 and time.time() < deadline and not errors:
        time.sleep(0.05)
    # The burst is still running: the kill lands between, inside and after commits.
    server.process.send_signal(signal.SIGKILL)
    server.process.wait(timeout=10)
    stop.set()
    for writer in writers:
        writer.join(timeout=30)
    assert not errors, errors[:3]
    assert len(acknowledged) >= 300, f"only {len(acknowledged)} writes were acknowledged before the kill"

    if backend == "sqlite":
        # The file survived the kill whole.
        database = sqlite3.connect(server.env["KEFU_DATABASE_URL"].removeprefix("sqlite://"))
        assert database.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        database.close()

    server.start()
    token = server.api_login(*DEMO_ADMIN)
    stored = {conversation: stored_client_ids(server, token, conversation) for conversation in conversations}
    for ids in stored.values():
        assert len(ids) == len(set(ids)), "a client message id was stored twice"
    missing = [(c, i) for c, i in acknowledged if i not in set(stored[c])]
    assert not missing, f"{len(missing)} of {len(acknowledged)} acknowledged writes are gone after kill -9"
