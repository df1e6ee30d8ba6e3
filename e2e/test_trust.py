"""Verify that an agent is real, report a fake, and a tamper-evident audit log
(docs/trust-and-safety.md): an agent's code checked on the public page, in the widget
(Chromium) and with the Telegram bot's /verify; a report with a screenshot from the page reaching
the console's queue; an audit line edited in the database found by `kefu audit verify`."""
import base64
import hashlib
import hmac
import http.server
import json
import re
import threading
import sqlite3
import subprocess

import pytest
from selenium.webdriver.common.by import By

from conftest import ARTIFACTS, wait_for, wait_until
from staffed import ADMIN, api, chat_on_a_page, open_widget, start
from telegram_fake import FakeTelegram, private_message, user

pytestmark = pytest.mark.each_database

# A 1×1 PNG.
PNG = base64.b64decode("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==")


def reply(server, conversation, text):
    response = api(server, "POST", f"/conversations/{conversation}/messages", json={"text": text})
    assert response.status_code == 201, response.text
    return response.json()


def test_an_agents_code_checks_out_on_the_page_in_the_widget_and_on_telegram(make_server, browser, browser_zh):
    telegram = FakeTelegram()
    try:
        server = start(make_server, KEFU_TELEGRAM_API_URL=telegram.url)
        # Widget: a visitor with an address chats; the agent's reply shows a code beside the name.
        inbox, host = chat_on_a_page(server)
        try:
            customer = browser_zh
            open_widget(customer, host, "周敏", "zhou.min@example.cn")
            customer.find_element(By.ID, "text").send_keys("有人在 Telegram 上说他是客服，要我转账")
            customer.find_element(By.CSS_SELECTOR, "[data-testid=widget-composer] button").click()
            chat = wait_for(lambda: [c["id"] for c in api(server, "GET", "/conversations").json()["items"] if c["inboxId"] == inbox["id"]])[0]
            code = reply(server, chat, "您好，我是官方客服。我们绝不会私信要求转账。")["agentCode"]
            shown = f"{code[:4]}-{code[4:]}"
            badge = wait_until(customer, lambda d: d.find_element(By.CSS_SELECTOR, "[data-testid=agent-code]"))
            assert shown in badge.text
            # The visitor checks the real code, then one a scammer got in their own chat.
            customer.find_element(By.CSS_SELECTOR, "[data-testid=widget-safety-open]").click()
            field = customer.find_element(By.CSS_SELECTOR, "[data-testid=widget-agent-code]")
            field.send_keys(shown.lower())
            customer.find_element(By.CSS_SELECTOR, "[data-testid=widget-code-check]").click()
            answer = wait_until(customer, lambda d: d.find_element(By.CSS_SELECTOR, "[data-testid=widget-code-result]").text)
            assert "是的" in answer and "Ops Admin" in answer
            customer.save_screenshot(str(ARTIFACTS / "trust-widget-check.png"))
            # A scammer writes to support themselves and shows the code they got to our customer.
            server.cli("ingest-email", stdin="From: scam@example.com\r\nTo: support@kefu.example\r\nSubject: hi\r\n"
                       "Message-ID: <scam-1@example.com>\r\n\r\nhello\r\n")
            scam_chat = wait_for(lambda: [c["id"] for c in api(server, "GET", "/conversations").json()["items"] if c.get("subject") == "hi"])[0]
            scam_code = reply(server, scam_chat, "Hello")["agentCode"]
            field.clear()
            field.send_keys(scam_code)
            customer.find_element(By.CSS_SELECTOR, "[data-testid=widget-code-check]").click()
            wait_until(customer, lambda d: "否" in d.find_element(By.CSS_SELECTOR, "[data-testid=widget-code-result]").text)
        finally:
            host.shutdown()

        # The public page (Chromium), for a customer who wrote by mail: the reply, and its code,
        # went to their address, so the address proves who is asking. (A widget visitor's
        # unconfirmed address does not: anyone can type one; they check in the widget.)
        server.cli("ingest-email", stdin="From: Li Na <li.na@example.cn>\r\nTo: support@kefu.example\r\nSubject: withdrawal\r\n"
                   "Message-ID: <li-na-1@example.cn>\r\n\r\nMy withdrawal is on hold\r\n")
        mail_chat = wait_for(lambda: [c["id"] for c in api(server, "GET", "/conversations").json()["items"] if c.get("subject") == "withdrawal"])[0]
        mail_code = reply(server, mail_chat, "We are checking it now.")["agentCode"]
        page = browser
        page.get(f"{server.url}/help/en/verify")
        page.find_element(By.CSS_SELECTOR, "[data-testid=agent-code-input]").send_keys(mail_code)
        page.find_element(By.CSS_SELECTOR, "[data-testid=agent-code-email]").send_keys("li.na@example.cn")
        page.find_element(By.CSS_SELECTOR, "[data-testid=agent-code-submit]").click()
        verdict = wait_until(page, lambda d: d.find_element(By.CSS_SELECTOR, "[data-testid=agent-code-verdict]"))
        assert verdict.get_attribute("data-status") == "official" and "Ops Admin" in verdict.text
        page.save_screenshot(str(ARTIFACTS / "trust-verify-code.png"))
        # The scammer's code, and the widget code with the visitor's unconfirmed address: no.
        for other, address in ((scam_code, "li.na@example.cn"), (shown, "zhou.min@example.cn")):
            page.find_element(By.CSS_SELECTOR, "[data-testid=agent-code-input]").clear()
            page.find_element(By.CSS_SELECTOR, "[data-testid=agent-code-input]").send_keys(other)
            page.find_element(By.CSS_SELECTOR, "[data-testid=agent-code-email]").clear()
            page.find_element(By.CSS_SELECTOR, "[data-testid=agent-code-email]").send_keys(address)
            page.find_element(By.CSS_SELECTOR, "[data-testid=agent-code-submit]").click()
            wait_until(page, lambda d: d.find_element(By.CSS_SELECTOR, "[data-testid=agent-code-verdict]").get_attribute("data-status") == "impersonation")

        # Telegram: the reply's last line names the agent and the code; /verify answers in the chat.
        token = telegram.add_bot("wallet_help_bot")
        bot = api(server, "POST", "/inboxes", json={"name": "Bot", "kind": "telegram", "botToken": token}).json()
        ann = user(880201, "Ann", "Lee", "en")
        telegram.push(token, private_message(ann, "Someone on WhatsApp says they are your support"))
        tg_chat = wait_for(lambda: [c["id"] for c in api(server, "GET", "/conversations").json()["items"] if c["inboxId"] == bot["id"]])[0]
        tg_code = reply(server, tg_chat, "We never write first on WhatsApp.")["agentCode"]
        sent = wait_for(lambda: [m for m in telegram.wait_sent(token, 1, timeout=1) if "never write first" in (m.get("text") or "")])
        assert f"— Ops Admin · Verification code {tg_code[:4]}-{tg_code[4:]}" in sent[0]["text"] and "/help/verify" in sent[0]["text"]
        for text, expected in ((f"/verify {tg_code}", "Yes: Ops Admin"), ("/verify ZZZZ-ZZZZ", "No: this code"), ("/verify", "Send /verify")):
            telegram.push(token, private_message(ann, text, entities=[{"type": "bot_command", "offset": 0, "length": 7}]))
            assert wait_for(lambda: [m for m in telegram.wait_sent(token, 1, timeout=1) if (m.get("text") or "").startswith(expected)])
    finally:
        telegram.close()


def test_a_fake_account_reported_from_the_page_reaches_the_console(make_server, browser, tmp_path):
    server = start(make_server)
    shot = tmp_path / "fake.png"
    shot.write_bytes(PNG)
    browser.get(f"{server.url}/help/zh-CN/verify")
    from selenium.webdriver.support.ui import Select
    Select(browser.find_element(By.CSS_SELECTOR, "[data-testid=report-place]")).select_by_value("telegram")
    browser.find_element(By.CSS_SELECTOR, "[data-testid=report-handle]").send_keys("@KefuWallet_Support")
    browser.find_element(By.CSS_SELECTOR, "[data-testid=report-note]").send_keys("他让我把助记词发给他")
    browser.find_element(By.CSS_SELECTOR, "[data-testid=report-screenshot]").send_keys(str(shot))
    browser.find_element(By.CSS_SELECTOR, "[data-testid=report-submit]").click()
    wait_until(browser, lambda d: d.find_element(By.CSS_SELECTOR, "[data-testid=report-thanks]"))
    browser.save_screenshot(str(ARTIFACTS / "trust-report.png"))
    # The page now counts the account when someone checks it.
    browser.get(f"{server.url}/help/en/verify?value=t.me/kefuwallet_support")
    assert "reported this account as a fake 1 times" in browser.find_element(By.CSS_SELECTOR, "[data-testid=verify-reports]").text

    reports = api(server, "GET", "/impersonation-reports").json()["items"]
    assert [(r["handle"], r["handleKey"], r["hasScreenshot"], r["status"]) for r in reports] == [
        ("@KefuWallet_Support", "telegram:kefuwallet_support", True, "new")]
    assert api(server, "GET", f"/impersonation-reports/{reports[0]['id']}/screenshot").content == PNG
    # A supervisor confirms it in the console.
    from test_console_login import sign_in, wait_for_path
    sign_in(browser, server, *ADMIN)
    wait_for_path(browser, "/console")
    browser.get(f"{server.url}/console/impersonation")
    assert "@KefuWallet_Support" in browser.find_element(By.CSS_SELECTOR, "[data-testid=impersonation-list]").text
    browser.save_screenshot(str(ARTIFACTS / "trust-console-queue.png"))
    browser.find_element(By.CSS_SELECTOR, "[data-testid=impersonation-confirm]").click()
    wait_until(browser, lambda d: "flash=saved" in d.current_url)
    assert api(server, "GET", "/impersonation-reports?status=confirmed").json()["items"][0]["id"] == reports[0]["id"]


def tamper(server, statement):
    """What a database administrator can do: get past the append-only triggers and edit."""
    url = server.env["KEFU_DATABASE_URL"]
    if url.startswith("sqlite://"):
        connection = sqlite3.connect(url[len("sqlite://"):])
        connection.execute("DROP TRIGGER IF EXISTS audit_log_no_update")
        connection.execute("DROP TRIGGER IF EXISTS audit_log_no_delete")
        connection.execute(statement)
        connection.commit()
        connection.close()
        return
    script = f"ALTER TABLE audit_log DISABLE TRIGGER USER; {statement};"
    result = subprocess.run(["psql", url, "-v", "ON_ERROR_STOP=1", "-c", script], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr


def test_an_edited_audit_line_is_found_by_kefu_audit_verify(make_server):
    server = start(make_server)
    for name in ("Web", "Mail desk", "Partners"):
        assert api(server, "POST", "/inboxes", json={"name": name, "kind": "webchat"}).status_code == 201
    holds = server.cli("audit", "verify")
    assert holds.returncode == 0 and "The audit chain holds" in holds.stdout
    head = server.cli("audit", "head").stdout.strip()
    assert re.fullmatch(r"\d+:[0-9a-f]{64}", head)
    # Exported to a receiver, signed as Kefu's webhooks are.
    key = b"audit-head-receiver-key-32-bytes"
    secret_file = server.dir / "audit-head.secret"
    secret_file.write_text("whsec_" + base64.b64encode(key).decode())
    received = []

    class Receiver(http.server.BaseHTTPRequestHandler):
        def do_POST(self):
            received.append((dict(self.headers), self.rfile.read(int(self.headers["Content-Length"]))))
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args):
            pass

    receiver = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
    threading.Thread(target=receiver.serve_forever, daemon=True).start()
    try:
        posted = server.cli("audit", "head", "--post", f"http://127.0.0.1:{receiver.server_address[1]}/heads", "--secret-file", str(secret_file))
        assert posted.returncode == 0
    finally:
        receiver.shutdown()
    headers, body = received[0]
    assert json.loads(body)["hash"] == head.split(":")[1] and json.loads(body)["seq"] == int(head.split(":")[0])
    signed = f"{headers['webhook-id']}.{headers['webhook-timestamp']}.".encode() + body
    expected = base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()
    assert f"v1,{expected}" in headers["webhook-signature"].split(" ")
    lines = api(server, "GET", "/audit?limit=50").json()["items"]
    target = next(line for line in lines if line["action"] == "inbox.created")
    tamper(server, f"UPDATE audit_log SET detail = '{{}}', actor_id = NULL WHERE id = {target['id']}")
    broken = server.cli("audit", "verify", check=False)
    assert broken.returncode == 1
    assert f"broken at line {target['id']}" in broken.stdout and "content does not match" in broken.stdout
    # Cutting the newest lines is seen against the head exported before.
    newest = max(line["id"] for line in lines)
    tamper(server, f"DELETE FROM audit_log WHERE id = {newest}")
    cut = server.cli("audit", "verify", "--expect", head, check=False)
    assert cut.returncode == 1
