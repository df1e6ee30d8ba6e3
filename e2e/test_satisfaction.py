"""Satisfaction surveys end to end (docs/satisfaction.md): after a resolution the customer is asked
in their own channel: in the widget (Chromium), by mail with rating links that a scanner can open
without recording anything (the page's form records, in Chromium), and with Telegram buttons (the
fake Bot API); the answer shows on the conversation, with the agent who resolved it."""
import email
import email.policy
import re

import pytest
import requests
from selenium.webdriver.common.by import By

from conftest import ARTIFACTS, serve_host_page, wait_for, wait_until
from telegram_fake import FakeTelegram, button_press, private_message, user

ADMIN = ("ops@kefu.example", "e2e-admin-passphrase")


def start(make_server, **env):
    server = make_server()
    server.env.update({"KEFU_CSAT_DELAY_SECONDS": "0", **env})
    server.cli("migrate")
    server.cli("admin", "create", "--email", ADMIN[0], "--name", "Ops Admin", stdin=ADMIN[1] + "\n")
    server.start()
    server.auth = {"Authorization": f"Bearer {server.api_login(*ADMIN)}"}
    return server


def api(server, method, path, **kwargs):
    return requests.request(method, server.url + "/api/v1" + path, headers=server.auth, timeout=20, **kwargs)


def reply_and_resolve(server, conversation):
    assert api(server, "POST", f"/conversations/{conversation}/messages", json={"text": "已经处理好了。"}).status_code == 201
    me = api(server, "GET", "/me").json()["agent"]["id"]
    resolved = api(server, "PATCH", f"/conversations/{conversation}", json={"status": "resolved", "assigneeId": me})
    assert resolved.status_code == 200, resolved.text
    return me


def csat(server, conversation):
    return api(server, "GET", f"/conversations/{conversation}").json().get("csat")


@pytest.mark.each_database
def test_the_widget_asks_in_the_chat(make_server, browser_zh):
    server = start(make_server)
    inbox = api(server, "POST", "/inboxes", json={"name": "Chat", "kind": "webchat"}).json()
    host = serve_host_page(server.url, lambda: f'<script src="{server.url}/widget.js" data-inbox="{inbox["id"]}" async></script>')
    try:
        customer = browser_zh
        customer.get(f"http://127.0.0.1:{host.server_address[1]}/")
        customer.switch_to.frame(customer.find_element(By.CSS_SELECTOR, "iframe[data-kefu-widget]"))
        customer.find_element(By.CSS_SELECTOR, "[data-testid=launcher]").click()
        customer.find_element(By.NAME, "name").send_keys("黄蕾")
        customer.find_element(By.CSS_SELECTOR, "[data-testid=prechat] button").click()
        customer.find_element(By.ID, "text").send_keys("提现一直没到账")
        customer.find_element(By.CSS_SELECTOR, "[data-testid=widget-composer] button").click()
        conversation = wait_for(lambda: [c["id"] for c in api(server, "GET", "/conversations").json()["items"]])[0]
        agent = reply_and_resolve(server, conversation)
        survey = wait_until(customer, lambda d: d.find_element(By.CSS_SELECTOR, "[data-testid=widget-survey]"), timeout=15)
        assert "满意" in survey.text
        survey.find_element(By.CSS_SELECTOR, "button[data-rating='4']").click()
        survey.find_element(By.TAG_NAME, "textarea").send_keys("很快，谢谢")
        customer.save_screenshot(str(ARTIFACTS / "csat-widget.png"))
        survey.find_element(By.CSS_SELECTOR, "button.primary").click()
        wait_until(customer, lambda d: "感谢" in d.find_element(By.CSS_SELECTOR, "[data-testid=widget-survey]").text)
        assert csat(server, conversation) == {"rating": 4, "comment": "很快，谢谢"}
        surveys = api(server, "GET", f"/conversations/{conversation}/csat-surveys").json()["items"]
        assert [(s["status"], s["answeredVia"], s["agentId"]) for s in surveys] == [("answered", "widget", agent)]
        # Shown answered after a reload too (the history replays it).
        customer.refresh()
        customer.switch_to.frame(customer.find_element(By.CSS_SELECTOR, "iframe[data-kefu-widget]"))
        customer.find_element(By.CSS_SELECTOR, "[data-testid=launcher]").click()
        wait_until(customer, lambda d: "感谢" in d.find_element(By.CSS_SELECTOR, "[data-testid=widget-survey]").text)
    finally:
        host.shutdown()


@pytest.mark.each_database
def test_the_mail_links_record_nothing_until_the_page_is_sent(make_server, browser):
    server = start(make_server, KEFU_SUPPORT_ADDRESS="support@kefu.example")
    raw = ("From: Li Wei <li.wei@example.com>\r\nTo: support@kefu.example\r\nSubject: Withdrawal stuck\r\n"
           "Message-ID: <csat-1@example.com>\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nMy withdrawal is stuck since yesterday.\r\n")
    server.cli("ingest-email", stdin=raw)
    conversation = wait_for(lambda: [c["id"] for c in api(server, "GET", "/conversations").json()["items"]])[0]
    reply_and_resolve(server, conversation)
    surveys = wait_for(lambda: [m for m in api(server, "GET", "/outbox").json()["items"] if m["kind"] == "survey"])
    raw_mail = api(server, "GET", f"/outbox/{surveys[0]['id']}/raw").content
    message = email.message_from_bytes(raw_mail, policy=email.policy.default)
    assert message["Auto-Submitted"] == "auto-generated"
    assert message["In-Reply-To"]
    links = re.findall(r"(http://\S+/csat/[A-Za-z0-9_-]{38}\?rating=([1-5]))", message.get_body(("plain",)).get_content())
    assert sorted(rating for _, rating in links) == ["1", "2", "3", "4", "5"]
    # A mail scanner opens every link: nothing is recorded.
    for link, _ in links:
        page = requests.get(link, timeout=10)
        assert page.status_code == 200 and page.headers["Referrer-Policy"] == "same-origin"
        assert page.headers["Cache-Control"] == "no-store"
    assert csat(server, conversation) is None
    link = next(link for link, rating in links if rating == "2")
    browser.get(link)
    assert browser.find_element(By.CSS_SELECTOR, "input[name=rating][value='2']").is_selected()
    browser.find_element(By.CSS_SELECTOR, "[data-testid=csat-comment]").send_keys("Took two days.")
    browser.save_screenshot(str(ARTIFACTS / "csat-page.png"))
    browser.find_element(By.CSS_SELECTOR, "[data-testid=csat-submit]").click()
    wait_until(browser, lambda d: d.find_element(By.CSS_SELECTOR, "[data-testid=csat-saved]"))
    assert csat(server, conversation) == {"rating": 2, "comment": "Took two days."}
    # A low rating waits for a supervisor.
    follow_ups = api(server, "GET", "/csat/follow-ups").json()["items"]
    assert [f["survey"]["conversationId"] for f in follow_ups] == [conversation]
    # In the console: the answer beside the conversation, and the follow-up until it is done.
    from test_console_login import sign_in, wait_for_path
    sign_in(browser, server, *ADMIN)
    wait_for_path(browser, "/console")
    browser.get(f"{server.url}/console/conversations/{conversation}")
    panel = browser.find_element(By.CSS_SELECTOR, "[data-testid=csat-panel]")
    assert "★★☆☆☆" in panel.text and "Took two days." in panel.text
    browser.get(server.url + "/console/follow-ups")
    rows = browser.find_elements(By.CSS_SELECTOR, "[data-testid=follow-ups] tbody tr")
    assert len(rows) == 1 and "Took two days." in rows[0].text
    browser.save_screenshot(str(ARTIFACTS / "csat-follow-ups.png"))
    rows[0].find_element(By.CSS_SELECTOR, "button").click()
    wait_until(browser, lambda d: "flash=saved" in d.current_url)
    assert api(server, "GET", "/csat/follow-ups").json()["items"] == []
    # Forged tokens are nobody's survey.
    token = link.split("/csat/")[1].split("?")[0]
    forged = token[:-1] + ("A" if token[-1] != "A" else "B")
    assert requests.get(f"{server.url}/csat/{forged}", timeout=10).status_code == 404


def test_telegram_buttons_rate_and_are_answered(make_server):
    telegram = FakeTelegram()
    try:
        server = start(make_server, KEFU_TELEGRAM_API_URL=telegram.url)
        token = telegram.add_bot()
        inbox = api(server, "POST", "/inboxes", json={"name": "Bot", "kind": "telegram", "botToken": token})
        assert inbox.status_code == 201, inbox.text
        li = user()
        telegram.push(token, private_message(li, "我的充值还没到账"))
        conversation = wait_for(lambda: [c["id"] for c in api(server, "GET", "/conversations").json()["items"]])[0]
        reply_and_resolve(server, conversation)
        sent = wait_for(lambda: [m for m in telegram.bots[token].sent if m.get("reply_markup")])
        keyboard = sent[0]["reply_markup"]["inline_keyboard"]
        assert [b["text"] for b in keyboard[0]] == ["1 ★", "2 ★", "3 ★", "4 ★", "5 ★"]
        assert all(len(b["callback_data"].encode()) <= 64 for b in keyboard[0])
        # Somebody else's client, or a made-up button, records nothing and is still answered.
        telegram.push(token, button_press(li, sent[0], "csat:" + "A" * 38 + ":1", query_id="q-forged"))
        telegram.push(token, button_press(li, sent[0], keyboard[0][4]["callback_data"], query_id="q-real"))
        answers = wait_for(lambda: len(telegram.bots[token].callback_answers) >= 2 and telegram.bots[token].callback_answers)
        assert {a["callback_query_id"] for a in answers} == {"q-forged", "q-real"}
        assert csat(server, conversation) == {"rating": 5}
        thanks = wait_for(lambda: [m for m in telegram.bots[token].sent if m["text"] and "/csat/" in m["text"]])
        assert "感谢" in thanks[0]["text"]
    finally:
        telegram.close()
