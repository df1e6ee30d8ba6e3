"""Response targets end to end (docs/service-levels.md): a policy with a target of seconds runs out
on a real server and is recorded once (across a restart, and with two instances on one
PostgreSQL); the console shows it; the admin page reads holidays from an iCalendar file for
review; customers are told when to expect an answer."""
import asyncio
import email
import email.policy
import time

import pytest
import requests
from selenium.webdriver.common.by import By

from chat_socket import ChatSocket
from conftest import KefuServer, POSTGRES_URL, create_postgres_database, psql, wait_for, wait_until
from test_console_login import sign_in, wait_for_path

ADMIN = ("ops@kefu.example", "e2e-admin-passphrase")

ICS = "\r\n".join([
    "BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//Gov//Holidays//ZH",
    "BEGIN:VEVENT", "UID:1", "DTSTART;VALUE=DATE:20271001", "DTEND;VALUE=DATE:20271004", "SUMMARY:国庆节", "END:VEVENT",
    "BEGIN:VEVENT", "UID:2", "DTSTART;VALUE=DATE:20270926", "SUMMARY:国庆节补班", "END:VEVENT",
    "END:VCALENDAR", ""])


def admin(server):
    return {"Authorization": f"Bearer {server.api_login(*ADMIN)}"}


def fast_policy(server, auth, seconds=2, **extra):
    """A policy for conversations labelled `fast`: the label outweighs the default chat policy."""
    body = {"name": "Fast", "match": {"label": "fast"}, "firstResponseSeconds": seconds, **extra}
    response = requests.post(server.url + "/api/v1/sla/policies", json=body, headers=auth, timeout=10)
    assert response.status_code == 201, response.text
    return response.json()


def start_chat(server, auth, text="提现一直在审核中"):
    """A visitor's first message through the widget socket; returns the conversation id."""
    inboxes = requests.get(server.url + "/api/v1/inboxes", headers=auth, timeout=10).json()["items"]
    inbox = next((i for i in inboxes if i["kind"] == "webchat"), None)
    if inbox is None:
        inbox = requests.post(server.url + "/api/v1/inboxes", json={"name": "Chat", "kind": "webchat"}, headers=auth, timeout=10).json()
    session = requests.post(server.url + "/api/v1/widget/sessions", json={"inboxId": inbox["id"], "locale": "zh-CN"}, timeout=10).json()

    async def chat():
        async with await ChatSocket.visitor(server, session["sessionToken"]) as visitor:
            hello = await visitor.expect("hello")
            await visitor.send({"type": "message", "clientMsgId": f"c-{time.time()}", "text": text})
            ack = await visitor.expect("ack")
            return hello, ack["conversationId"]
    return asyncio.run(chat())


def label(server, auth, conversation, labels):
    response = requests.patch(f"{server.url}/api/v1/conversations/{conversation}", json={"labels": labels}, headers=auth, timeout=10)
    assert response.status_code == 200, response.text


def events(server, auth, conversation):
    response = requests.get(f"{server.url}/api/v1/conversations/{conversation}/sla", headers=auth, timeout=10)
    assert response.status_code == 200, response.text
    return [f"{e['metric']}:{e['kind']}" for e in response.json()["events"]]


@pytest.mark.each_database
def test_a_missed_target_is_recorded_once_and_shown(fresh_server, browser):
    server = fresh_server
    auth = admin(server)
    fast_policy(server, auth)
    hello, conversation = start_chat(server, auth)
    # The default chat target (5 minutes, around the clock) is what the visitor is told.
    assert hello.get("expectedReply") == "我们通常会在 5 分钟内回复。"
    me = requests.get(server.url + "/api/v1/me", headers=auth, timeout=10).json()
    assigned = requests.patch(f"{server.url}/api/v1/conversations/{conversation}", json={"labels": ["fast"], "assigneeId": me["agent"]["id"]},
                              headers=auth, timeout=10)
    assert assigned.status_code == 200, assigned.text
    wait_for(lambda: "first_response:breached" in events(server, auth, conversation), timeout=15)
    time.sleep(1.5)
    assert events(server, auth, conversation).count("first_response:breached") == 1
    detail = requests.get(f"{server.url}/api/v1/conversations/{conversation}", headers=auth, timeout=10).json()
    assert detail["sla"]["breached"] is True
    missed = requests.get(server.url + "/api/v1/conversations?sla=breached&status=open", headers=auth, timeout=10).json()["items"]
    assert [c["id"] for c in missed] == [conversation]

    sign_in(browser, server, *ADMIN)
    wait_for_path(browser, "/console")
    browser.get(server.url + "/console?sla=breached")
    badge = wait_until(browser, lambda d: d.find_element(By.CSS_SELECTOR, "[data-testid=sla-badge]"))
    assert "sla-breached" in badge.get_attribute("class")
    browser.get(f"{server.url}/console/conversations/{conversation}")
    panel = browser.find_element(By.CSS_SELECTOR, "[data-testid=sla-panel]")
    assert "Missed" in panel.text
    history = browser.find_element(By.ID, "messages").text
    assert "Response target missed" in history
    # The assignee was told: a count beside the link, and the list.
    count = wait_until(browser, lambda d: d.find_element(By.ID, "notification-count").is_displayed() and d.find_element(By.ID, "notification-count"))
    assert count.text == "1"
    browser.get(server.url + "/console/notifications")
    items = browser.find_elements(By.CSS_SELECTOR, "[data-testid=notification-list] li")
    assert len(items) == 1 and "was missed" in items[0].text
    browser.get(server.url + "/console")
    wait_until(browser, lambda d: not d.find_element(By.ID, "notification-count").is_displayed())

    # The agent's late reply still meets the target, after the breach.
    reply = requests.post(f"{server.url}/api/v1/conversations/{conversation}/messages", json={"text": "正在处理"}, headers=auth, timeout=10)
    assert reply.status_code == 201, reply.text
    assert events(server, auth, conversation)[-1] == "first_response:met"


def test_a_timer_due_while_the_server_is_down_fires_once_after_restart(fresh_server):
    server = fresh_server
    auth = admin(server)
    fast_policy(server, auth, seconds=3)
    _, conversation = start_chat(server, auth)
    label(server, auth, conversation, ["fast"])
    server.stop()
    time.sleep(4)
    server.start()
    auth = admin(server)
    wait_for(lambda: "first_response:breached" in events(server, auth, conversation), timeout=15)
    server.stop()
    server.start()
    time.sleep(2)
    auth = admin(server)
    assert events(server, auth, conversation).count("first_response:breached") == 1


@pytest.mark.skipif(not POSTGRES_URL, reason="needs KEFU_TEST_POSTGRES_URL")
def test_two_instances_on_one_postgres_fire_each_timer_once():
    url, database = create_postgres_database()
    first, second = KefuServer(database_url=url), KefuServer(database_url=url)
    try:
        first.cli("migrate")
        first.cli("admin", "create", "--email", ADMIN[0], "--name", "Ops", stdin=ADMIN[1] + "\n")
        supervisor = {"email": "sun@kefu.example", "name": "Sun", "role": "supervisor"}
        first.start()
        second.start()
        auth = admin(first)
        invited = requests.post(first.url + "/api/v1/agents", json=supervisor, headers=auth, timeout=10)
        assert invited.status_code == 201, invited.text
        fast_policy(first, auth, seconds=3, warnBeforeSeconds=1)
        conversations = []
        for n in range(6):
            _, conversation = start_chat(first if n % 2 else second, auth, text=f"第 {n} 个问题")
            label(second if n % 2 else first, auth, conversation, ["fast"])
            conversations.append(conversation)
        for conversation in conversations:
            wait_for(lambda: "first_response:breached" in events(second, auth, conversation), timeout=20)
        time.sleep(2)
        for conversation in conversations:
            log = events(first, auth, conversation)
            assert log.count("first_response:breached") == 1, log
            assert log.count("first_response:warned") <= 1, log
        # Each breach told the supervisor once (and the admin once).
        sun = invited.json()["agent"]["id"] if "agent" in invited.json() else invited.json()["id"]
        rows = psql_rows(database, f"SELECT COUNT(*) FROM agent_notifications WHERE kind = 'sla_breach' AND agent_id = '{sun}'")
        assert rows == str(len(conversations))
        rows = psql_rows(database, "SELECT COUNT(*) FROM agent_notifications WHERE kind = 'sla_breach'")
        assert rows == str(2 * len(conversations))
    finally:
        first.stop()
        second.stop()
        psql(f"DROP DATABASE IF EXISTS {database} WITH (FORCE)")


def psql_rows(database, sql):
    import subprocess
    from conftest import POSTGRES_URL as base
    url = base.rsplit("/", 1)[0] + "/" + database
    return subprocess.run(["psql", url, "-tAc", sql], capture_output=True, text=True, check=True).stdout.strip()


def test_holidays_from_an_icalendar_file_are_reviewed_before_they_apply(fresh_server, browser):
    server = fresh_server
    sign_in(browser, server, *ADMIN)
    wait_for_path(browser, "/console")
    browser.get(server.url + "/console/admin/sla?calendar=new")
    form = browser.find_element(By.CSS_SELECTOR, "[data-testid=sla-calendar-form]")
    form.find_element(By.NAME, "name").send_keys("Shanghai office")
    form.find_element(By.CSS_SELECTOR, "[data-testid=sla-save-calendar]").click()
    wait_until(browser, lambda d: "flash=saved" in d.current_url)
    edit = browser.find_element(By.CSS_SELECTOR, "[data-testid=sla-calendars] a")
    edit.click()
    text = wait_until(browser, lambda d: d.find_element(By.CSS_SELECTOR, "[data-ics-text]"))
    browser.execute_script("arguments[0].value = arguments[1]", text, ICS)
    browser.find_element(By.CSS_SELECTOR, "[data-testid=sla-preview]").click()
    review = wait_until(browser, lambda d: d.find_element(By.CSS_SELECTOR, "[data-testid=sla-review]"))
    boxes = {b.get_attribute("name"): b.is_selected() for b in review.find_elements(By.CSS_SELECTOR, "input[type=checkbox]")}
    # Three days off ticked; the make-up working day left out.
    assert boxes == {"keep_2027-09-26": False, "keep_2027-10-01": True, "keep_2027-10-02": True, "keep_2027-10-03": True}
    browser.execute_script("arguments[0].scrollIntoView()", review)
    browser.save_screenshot("e2e/artifacts/sla-holiday-review.png")
    review.find_element(By.CSS_SELECTOR, "[data-testid=sla-add-holidays]").click()
    wait_until(browser, lambda d: "flash=saved" in d.current_url)
    auth = admin(server)
    calendars = requests.get(server.url + "/api/v1/sla/calendars", headers=auth, timeout=10).json()["items"]
    assert [(h["date"], h["name"]) for h in calendars[0]["holidays"]] == [
        ("2027-10-01", "国庆节"), ("2027-10-02", "国庆节"), ("2027-10-03", "国庆节")]
    browser.get(server.url + "/console/admin/sla")
    browser.save_screenshot("e2e/artifacts/sla-admin.png")
    assert browser.execute_script("return document.documentElement.scrollWidth <= window.innerWidth + 1")


def test_the_mail_acknowledgement_promises_the_policy_time(fresh_server):
    server = fresh_server
    auth = admin(server)
    inbox = requests.post(server.url + "/api/v1/inboxes", json={"name": "Mail", "kind": "email", "emailAddress": "help@kefu.example"},
                          headers=auth, timeout=10)
    assert inbox.status_code == 201, inbox.text
    raw = ("From: Li Wei <li@example.com>\r\nTo: help@kefu.example\r\nSubject: withdrawal\r\nMessage-ID: <sla-1@example.com>\r\n"
           "Content-Type: text/plain; charset=utf-8\r\n\r\nMy withdrawal is stuck.\r\n")
    server.cli("ingest-email", stdin=raw)
    outbox = wait_for(lambda: [m for m in requests.get(server.url + "/api/v1/outbox", headers=auth, timeout=10).json()["items"]
                               if m["kind"] == "acknowledgement"])
    raw = requests.get(f"{server.url}/api/v1/outbox/{outbox[0]['id']}/raw", headers=auth, timeout=10).content
    body = email.message_from_bytes(raw, policy=email.policy.default).get_body(("plain",)).get_content()
    assert "We usually reply within 24 h." in body
