"""Recovery phrases and private keys are never stored (docs/trust-and-safety.md): a customer pastes
a phrase in the widget (Chromium), in an email (the MTA pipe) and on Telegram (the fake Bot API);
the database and the API hold only the marker, the customer is warned at once in their language,
and the agent sees the flag in the console."""
import email
import email.policy
import sqlite3
import subprocess

import pytest
from selenium.webdriver.common.by import By

from conftest import ARTIFACTS, wait_for, wait_until
from staffed import ADMIN, api, chat_on_a_page, open_widget, start
from telegram_fake import FakeTelegram, private_message, user

pytestmark = pytest.mark.each_database

# BIP-39's own test vector (a valid 12-word English phrase) and a 12-word simplified Chinese one.
PHRASE = "legal winner thank year wave sausage worth useful legal winner thank yellow"
WIF = "5HueCGU8rMjxEXxiPuD5BDku4MkFqeZyd4dZ1jvhTVqvbTLvyTJ"


def database_text(server):
    """Every text column of every table, as one string: where a secret must not be."""
    url = server.env["KEFU_DATABASE_URL"]
    if url.startswith("sqlite://"):
        connection = sqlite3.connect(url[len("sqlite://"):])
        rows = []
        for (table,) in connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'"):
            rows += [table + ": " + " ".join(map(str, row)) for row in connection.execute(f'SELECT * FROM "{table}"')]
        return "\n".join(rows)
    dump = subprocess.run(["pg_dump", "--data-only", url], capture_output=True, text=True, timeout=60)
    assert dump.returncode == 0, dump.stderr
    return dump.stdout


def messages(server, conversation):
    return api(server, "GET", f"/conversations/{conversation}/messages").json()["items"]


def test_a_phrase_in_the_widget_the_mail_and_telegram_is_never_stored(make_server, browser_zh, browser):
    telegram = FakeTelegram()
    try:
        server = start(make_server, KEFU_TELEGRAM_API_URL=telegram.url)
        # The widget: the customer sees their message with the marker and the warning, in Chinese.
        inbox, host = chat_on_a_page(server)
        try:
            customer = browser_zh
            open_widget(customer, host, "黄蕾")
            customer.find_element(By.ID, "text").send_keys("我的助记词是 " + PHRASE + " 请帮我恢复钱包")
            customer.find_element(By.CSS_SELECTOR, "[data-testid=widget-composer] button").click()
            shown = wait_until(customer, lambda d: "客服绝不需要" in d.find_element(By.CSS_SELECTOR, "[data-testid=widget-messages]").text and
                               d.find_element(By.CSS_SELECTOR, "[data-testid=widget-messages]").text)
            assert "[已删除助记词]" in shown and "sausage" not in shown
            customer.save_screenshot(str(ARTIFACTS / "secret-widget.png"))
        finally:
            host.shutdown()
        chat = wait_for(lambda: [c["id"] for c in api(server, "GET", "/conversations").json()["items"] if c["inboxId"] == inbox["id"]])[0]
        texts = [m["text"] for m in messages(server, chat)]
        assert "我的助记词是 [redacted: recovery phrase] 请帮我恢复钱包" in texts

        # A mail with a key in its subject and the phrase in its body: marker in the API, a warning mail queued.
        raw = ("From: Li Wei <li.wei@example.com>\r\nTo: support@kefu.example\r\nSubject: key " + WIF + "\r\n"
               "Message-ID: <secret-e2e@example.com>\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n"
               "Please restore: " + PHRASE + "\r\n")
        server.cli("ingest-email", stdin=raw)
        mail_chat = wait_for(lambda: [c for c in api(server, "GET", "/conversations").json()["items"] if (c.get("subject") or "").startswith("key ")])[0]
        assert WIF not in mail_chat["subject"]
        mail_texts = [m["text"] for m in messages(server, mail_chat["id"])]
        assert "Please restore: [redacted: recovery phrase]" in mail_texts
        def mail_body(raw_bytes):
            return email.message_from_bytes(raw_bytes, policy=email.policy.default).get_body(("plain",)).get_content()
        warnings = wait_for(lambda: [m for m in api(server, "GET", "/outbox").json()["items"] if m["recipients"] == ["li.wei@example.com"]
                                     and "never needs" in mail_body(api(server, "GET", f"/outbox/{m['id']}/raw").content)])
        assert warnings
        mails = api(server, "GET", f"/conversations/{mail_chat['id']}/mails").json()["items"]
        assert all("sausage" not in api(server, "GET", f"/mails/{m['id']}/raw").text for m in mails)

        # Telegram: the caption of a message carries the phrase; the bot answers with the warning.
        token = telegram.add_bot("wallet_help_bot")
        bot = api(server, "POST", "/inboxes", json={"name": "Bot", "kind": "telegram", "botToken": token}).json()
        telegram.push(token, private_message(user(880101, "Ann", "Lee", "en"), PHRASE))
        assert wait_for(lambda: [m for m in telegram.wait_sent(token, 1, timeout=1) if "never needs" in (m.get("text") or "")])
        tg_chat = wait_for(lambda: [c["id"] for c in api(server, "GET", "/conversations").json()["items"] if c["inboxId"] == bot["id"]])[0]
        assert "[redacted: recovery phrase]" in [m["text"] for m in messages(server, tg_chat)]
        # /start greets by first name: never by one that is a key.
        telegram.push(token, private_message(user(880102, WIF, language="en"), "/start",
                                             entities=[{"type": "bot_command", "offset": 0, "length": 6}]))
        sent = wait_for(lambda: [m for m in telegram.wait_sent(token, 2, timeout=1) if m.get("chat_id") == "880102"])
        assert WIF not in sent[0]["text"] and "@wallet_help_bot" in sent[0]["text"]

        # Nothing of the secrets anywhere in the database, on either backend.
        stored = database_text(server)
        for piece in ("sausage", WIF):
            assert piece not in stored, [line[:120] for line in stored.splitlines() if piece in line]

        # The agent sees the flag on the conversation.
        from test_console_login import sign_in, wait_for_path
        sign_in(browser, server, *ADMIN)
        wait_for_path(browser, "/console")
        browser.get(f"{server.url}/console/conversations/{chat}")
        history = wait_until(browser, lambda d: d.find_element(By.TAG_NAME, "main")).text
        assert "removed a recovery phrase" in history and "sausage" not in history
        banner = browser.find_element(By.CSS_SELECTOR, "[data-testid=secret-banner]")
        assert "move their funds" in banner.text
        # ... and a badge on it in the inbox list.
        browser.get(f"{server.url}/console")
        rows = wait_until(browser, lambda d: d.find_elements(By.CSS_SELECTOR, "[data-testid=conversation-list] li"))
        flagged = [r for r in rows if r.find_elements(By.CSS_SELECTOR, "[data-testid=secret-badge]")]
        assert len(flagged) >= 3, [r.text for r in rows]
        browser.save_screenshot(str(ARTIFACTS / "secret-inbox.png"))
        browser.get(f"{server.url}/console/conversations/{chat}")
        browser.save_screenshot(str(ARTIFACTS / "secret-console.png"))
    finally:
        telegram.close()
