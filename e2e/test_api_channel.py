"""The API channel and outbound webhooks end to end: the wallet's backend talks through the API
channel with a service token; agents' replies, status changes and typing reach its callback as
signed webhooks, verified here by the independent `standardwebhooks` package; failures, retries,
replays, 410, rotation and private-address refusal."""
import json
import socket
import time
import uuid

import pytest
import requests
from standardwebhooks.webhooks import Webhook

from chat_socket import ChatSocket
from conftest import wait_for
from webhook_receiver import Receiver

pytestmark = pytest.mark.each_database

ADMIN = ("ops@kefu.example", "e2e-admin-passphrase")


@pytest.fixture
def receiver():
    found = Receiver()
    yield found
    found.close()


@pytest.fixture
def server(make_server):
    server = make_server()
    server.env["KEFU_WEBHOOK_ALLOW_PRIVATE"] = "true"
    server.cli("migrate")
    server.cli("admin", "create", "--email", ADMIN[0], "--name", "Ops Admin", stdin=ADMIN[1] + "\n")
    server.start()
    server.token = server.api_login(*ADMIN)
    server.service = server.cli("admin", "token", "--scope", "channel", "--name", "wallet app").stdout.strip()
    return server


def agent(server, method, path, **kwargs):
    return requests.request(method, server.url + "/api/v1" + path, headers={"Authorization": f"Bearer {server.token}"}, timeout=20, **kwargs)


def backend(server, method, path, **kwargs):
    return requests.request(method, server.url + "/api/v1" + path, headers={"Authorization": f"Bearer {server.service}"}, timeout=20, **kwargs)


def verified(secret, event):
    """The body as `standardwebhooks` reads it after checking the signature (raises if it is wrong)."""
    headers = {k: v for k, v in event["headers"].items() if k.startswith("webhook-")}
    return Webhook(secret).verify(event["body"], headers)


def test_the_wallet_app_and_an_agent_talk_and_the_backend_hears_it_signed(server, receiver):
    made = agent(server, "POST", "/inboxes", json={"name": "Wallet app", "kind": "api", "callbackUrl": receiver.url + "/kefu"})
    assert made.status_code == 201, made.text
    inbox = made.json()
    secret = inbox["callbackSecret"]
    assert secret.startswith("whsec_") and inbox["api"]["callbackUrl"] == receiver.url + "/kefu"
    assert "callbackSecret" not in agent(server, "GET", f"/inboxes/{inbox['id']}").json()

    # Only a channel-scope service token may use the channel; agents' tokens may not.
    body = {"contact": {"identifier": "user-42", "name": "Zhang Wei", "email": "zhang.wei@example.cn"},
            "text": "提现审核多久？", "clientMessageId": "app-1"}
    assert agent(server, "POST", f"/channels/{inbox['id']}/conversations", json=body).status_code == 401
    risk = server.cli("admin", "token", "--scope", "risk").stdout.strip()
    wrong_scope = requests.post(server.url + f"/api/v1/channels/{inbox['id']}/conversations", json=body,
                                headers={"Authorization": f"Bearer {risk}"}, timeout=10)
    assert wrong_scope.status_code == 403

    started = backend(server, "POST", f"/channels/{inbox['id']}/conversations", json=body)
    assert started.status_code == 201, started.text
    conversation_id = started.json()["conversationId"]
    again = backend(server, "POST", f"/channels/{inbox['id']}/conversations", json=body)
    assert again.status_code == 200 and again.json() == started.json()

    # The customer's own message comes back as an event too (the app can ignore its own).
    first = receiver.wait(lambda events: [e for e in events if e["json"]["type"] == "message.created"])[0]
    assert first["path"] == "/kefu"
    payload = verified(secret, first)
    assert payload["data"]["message"]["text"] == "提现审核多久？" and payload["data"]["conversationId"] == conversation_id
    assert first["headers"]["webhook-id"].startswith("msg_")

    # The agent replies, writes a note (never sent), types and resolves.
    reply = agent(server, "POST", f"/conversations/{conversation_id}/messages", json={"text": "一般 30 分钟内完成。"})
    assert reply.status_code == 201
    assert agent(server, "POST", f"/conversations/{conversation_id}/messages", json={"text": "内部：查一下风控", "private": True}).status_code == 201
    assert agent(server, "PATCH", f"/conversations/{conversation_id}", json={"status": "resolved"}).status_code == 200
    events = receiver.wait(lambda events: len([e for e in events if e["json"]["type"] == "message.created"]) >= 2
                           and [e for e in events if e["json"]["type"] == "conversation.updated"] and events)
    texts = [verified(secret, e)["data"]["message"]["text"] for e in events if e["json"]["type"] == "message.created"]
    assert texts == ["提现审核多久？", "一般 30 分钟内完成。"]
    update = next(verified(secret, e) for e in events if e["json"]["type"] == "conversation.updated")
    assert update["data"]["conversation"]["status"] == "resolved" and update["data"]["changed"] == ["status"]

    # The backend can read the same: messages and status changes, never the note.
    page = backend(server, "GET", f"/channels/{inbox['id']}/conversations/{conversation_id}/messages?since=0").json()
    listed = page["items"]
    assert [m["direction"] for m in listed] == ["incoming", "outgoing", "system"]
    assert page["nextSince"] >= listed[-1]["seq"]
    assert "内部" not in json.dumps(listed)

    # Another user's start with the same client id is theirs, not a repeat of this one.
    other = backend(server, "POST", f"/channels/{inbox['id']}/conversations", json=dict(body, contact={"identifier": "user-43"}))
    assert other.status_code == 201 and other.json()["conversationId"] != conversation_id

    # The user writes again: the conversation opens again; a repeat is the same message.
    message = {"text": "好的，谢谢", "clientMessageId": "app-2"}
    sent = backend(server, "POST", f"/channels/{inbox['id']}/conversations/{conversation_id}/messages", json=message)
    assert sent.status_code == 201
    repeat = backend(server, "POST", f"/channels/{inbox['id']}/conversations/{conversation_id}/messages", json=message)
    assert repeat.status_code == 200 and repeat.json()["id"] == sent.json()["id"]
    status = backend(server, "GET", f"/channels/{inbox['id']}/conversations/{conversation_id}").json()["status"]
    assert status == "open"

    # A token bound to another inbox does not see this one.
    other_inbox = agent(server, "POST", "/inboxes", json={"name": "Other app", "kind": "api"}).json()
    bound = server.cli("admin", "token", "--scope", "channel", "--inbox", other_inbox["id"]).stdout.strip()
    elsewhere = requests.get(server.url + f"/api/v1/channels/{inbox['id']}/conversations/{conversation_id}",
                             headers={"Authorization": f"Bearer {bound}"}, timeout=10)
    assert elsewhere.status_code == 404 and elsewhere.json()["code"] == "inbox_not_found"
    own = requests.post(server.url + f"/api/v1/channels/{other_inbox['id']}/conversations", json=dict(body, clientMessageId="b-1"),
                        headers={"Authorization": f"Bearer {bound}"}, timeout=10)
    assert own.status_code == 201
    assert server.cli("admin", "token", "--scope", "risk", "--inbox", other_inbox["id"], check=False).returncode != 0

    # Bad input is a clear problem and changes nothing.
    for bad in [{"text": "x"}, {"text": "", "clientMessageId": "e"}, {"text": "x" * 20001, "clientMessageId": "f"}]:
        refused = backend(server, "POST", f"/channels/{inbox['id']}/conversations/{conversation_id}/messages", json=bad)
        assert refused.status_code == 400 and refused.json()["code"] == "validation_failed", refused.text
    assert backend(server, "POST", f"/channels/{uuid.uuid4()}/conversations", json=body).status_code == 404

    # An agent typing reaches the app.
    import asyncio

    async def type_once():
        async with await ChatSocket.agent(server, server.token) as socket_:
            await socket_.send({"type": "typing", "conversationId": conversation_id, "isTyping": True})
            await asyncio.sleep(0.5)
    asyncio.run(type_once())
    typing = receiver.wait(lambda events: [e for e in events if e["json"]["type"] == "conversation.typing"])[0]
    assert verified(secret, typing)["data"]["isTyping"] is True


def test_failed_deliveries_retry_replay_and_410_disables(server, receiver):
    made = agent(server, "POST", "/webhooks", json={"url": receiver.url + "/hook", "events": ["conversation.created", "message.created"],
                                                    "includePrivateNotes": True})
    assert made.status_code == 201, made.text
    hook = made.json()
    assert hook["secret"].startswith("whsec_") and "secret" not in agent(server, "GET", f"/webhooks/{hook['id']}").json()
    inbox = agent(server, "POST", "/inboxes", json={"name": "App", "kind": "api"}).json()
    assert "callbackSecret" not in inbox

    # The endpoint fails once: Kefu retries after a few seconds and it goes through.
    receiver.statuses = [500]
    started = backend(server, "POST", f"/channels/{inbox['id']}/conversations",
                      json={"contact": {"identifier": "u-7"}, "text": "hello", "clientMessageId": "c-1"}).json()
    receiver.wait(lambda events: len(events) >= 3)
    deliveries = wait_for(lambda: [d for d in agent(server, "GET", f"/webhooks/{hook['id']}/deliveries").json()["items"]
                                   if d["attempts"] == 2 and d["status"] == "delivered"], timeout=30)
    assert deliveries[0]["responseStatus"] == 200 and deliveries[0]["latencyMs"] >= 0
    retried = [e for e in receiver.events() if e["headers"]["webhook-id"] == deliveries[0]["id"]]
    assert [e["status"] for e in retried] == [500, 200]
    assert retried[0]["body"] == retried[1]["body"]  # the same bytes on every attempt

    # A private note reaches this subscription (it asked for notes).
    agent(server, "POST", f"/conversations/{started['conversationId']}/messages", json={"text": "note", "private": True})
    receiver.wait(lambda events: [e for e in events if e["json"]["type"] == "message.created"
                                  and e["json"]["data"]["message"]["direction"] == "note"])

    # Replay: the same delivery again, same id and body.
    one = deliveries[0]["id"]
    replayed = agent(server, "POST", f"/webhooks/{hook['id']}/deliveries/{one}/replay")
    assert replayed.status_code == 202
    receiver.wait(lambda events: len([e for e in events if e["headers"]["webhook-id"] == one]) == 3)
    assert agent(server, "POST", f"/webhooks/{hook['id']}/deliveries/msg_nope/replay").status_code == 404

    # Rotation: both secrets sign for a day; a receiver with either verifies.
    rotated = agent(server, "POST", f"/webhooks/{hook['id']}/rotate-secret").json()
    assert rotated["secret"] != hook["secret"] and rotated["previousSecretUntil"]
    count = len(receiver.events())
    backend(server, "POST", f"/channels/{inbox['id']}/conversations/{started['conversationId']}/messages",
            json={"text": "after rotation", "clientMessageId": "c-2"})
    latest = receiver.wait(lambda events: len(events) > count and events[-1])
    assert len(latest["headers"]["webhook-signature"].split(" ")) == 2
    assert verified(hook["secret"], latest) == verified(rotated["secret"], latest)

    # 410 Gone: the endpoint is disabled and nothing more is sent.
    receiver.statuses = [410]
    backend(server, "POST", f"/channels/{inbox['id']}/conversations/{started['conversationId']}/messages",
            json={"text": "gone?", "clientMessageId": "c-3"})
    disabled = wait_for(lambda: agent(server, "GET", f"/webhooks/{hook['id']}").json()["status"] == "disabled"
                        and agent(server, "GET", f"/webhooks/{hook['id']}").json())
    assert "410" in disabled["disabledReason"]
    count = len(receiver.events())
    backend(server, "POST", f"/channels/{inbox['id']}/conversations/{started['conversationId']}/messages",
            json={"text": "still there?", "clientMessageId": "c-4"})
    time.sleep(2)
    assert len(receiver.events()) == count
    failed = agent(server, "GET", f"/webhooks/{hook['id']}/deliveries?status=failed").json()["items"]
    assert failed and failed[0]["responseStatus"] == 410

    # Events while it is disabled are not queued for it; re-enabled, the failed one goes on replay.
    assert agent(server, "PATCH", f"/webhooks/{hook['id']}", json={"enabled": True}).json()["status"] == "active"
    assert agent(server, "POST", f"/webhooks/{hook['id']}/replay-failed").json()["replayed"] == 1
    receiver.wait(lambda events: [e for e in events[count:] if "gone?" in e["body"].decode()])
    assert not [e for e in receiver.events() if "still there?" in e["body"].decode()]


def test_private_targets_are_refused_without_the_switch(make_server, receiver):
    server = make_server()
    server.cli("migrate")
    server.cli("admin", "create", "--email", ADMIN[0], "--name", "Ops Admin", stdin=ADMIN[1] + "\n")
    server.start()
    server.token = server.api_login(*ADMIN)
    for url in [receiver.url, "http://localhost:9/x", "http://[::1]:9/", "http://169.254.169.254/latest/meta-data", "http://10.0.0.8/",
                "ftp://example.com/", "http://user:pw@example.com/", "not a url"]:
        refused = agent(server, "POST", "/webhooks", json={"url": url, "events": ["message.created"]})
        assert refused.status_code == 400, (url, refused.text)
    refused = agent(server, "POST", "/webhooks", json={"url": receiver.url, "events": ["message.created"]}).json()
    assert refused["errors"][0] == {"name": "url", "code": "private_address"} or refused["errors"][0]["code"] == "private_address"
    bad_event = agent(server, "POST", "/webhooks", json={"url": "https://hooks.example.com/", "events": ["everything"]})
    assert bad_event.status_code == 400 and bad_event.json()["errors"][0]["name"] == "events[0]"

    # Names of one label resolve inside the network (hosts file, search domains): refused too.
    # (Dotted names are checked where they resolve, at each delivery: KefuChannelsTests.)
    name = socket.gethostname().split(".")[0]
    single = agent(server, "POST", "/webhooks", json={"url": f"http://{name}:9/", "events": ["conversation.created"]})
    assert single.status_code == 400 and single.json()["errors"][0]["code"] == "private_address"
    assert agent(server, "GET", "/webhooks").json()["items"] == []
    assert receiver.events() == []


def test_an_admin_sees_a_disabled_endpoint_in_the_console(server, receiver, browser):
    from selenium.webdriver.common.by import By

    from conftest import ARTIFACTS, click, console_errors, wait_until
    from test_console_login import sign_in, wait_for_path

    sign_in(browser, server, *ADMIN)
    wait_for_path(browser, "/console")
    browser.get(server.url + "/console/admin/webhooks")
    form = browser.find_element(By.CSS_SELECTOR, "[data-testid=webhook-form]")
    form.find_element(By.NAME, "url").send_keys(receiver.url + "/gone")
    form.find_element(By.NAME, "event_conversation.created").click()
    form.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    secret = wait_until(browser, lambda d: d.find_element(By.CSS_SELECTOR, "[data-testid=webhook-secret] code").text)
    assert secret.startswith("whsec_")

    receiver.statuses = [410]
    inbox = agent(server, "POST", "/inboxes", json={"name": "App", "kind": "api"}).json()
    backend(server, "POST", f"/channels/{inbox['id']}/conversations", json={"contact": {"identifier": "u"}, "text": "hi", "clientMessageId": "x"})
    receiver.wait(lambda events: events)
    verified(secret, receiver.events()[0])

    def disabled(driver):
        driver.get(server.url + "/console/admin/webhooks")
        return driver.find_elements(By.CSS_SELECTOR, "[data-testid=webhook-disabled]")
    banner = wait_until(browser, disabled, timeout=20)
    assert "410" in banner[0].text
    assert secret not in browser.page_source
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    browser.save_screenshot(str(ARTIFACTS / "webhooks-disabled.png"))
    click(browser, "[data-testid=webhook-enable]")
    wait_until(browser, lambda d: not d.find_elements(By.CSS_SELECTOR, "[data-testid=webhook-disabled]"))
    assert agent(server, "GET", "/webhooks").json()["items"][0]["status"] == "active"
    assert console_errors(browser) == []
