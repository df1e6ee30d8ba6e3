"""Telegram end to end: the real `kefu` binary against a local fake of the Bot API
(telegram_fake.py, which follows Telegram's documented shapes), in long-polling and webhook
modes, on SQLite and PostgreSQL."""
import base64
import signal
import struct
import time
import zlib

import pytest
import requests
from selenium.webdriver.common.by import By

from conftest import ARTIFACTS, click, console_errors, wait_for, wait_until
from telegram_fake import FakeTelegram, group_message, private_message, user
from test_console_login import sign_in, wait_for_path

pytestmark = pytest.mark.each_database

ADMIN = ("ops@kefu.example", "e2e-admin-passphrase")


def png(width=2, height=2, rgb=(200, 30, 30)):
    """A real PNG (Kefu recognises files by their bytes, not their names)."""
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    raw = b"".join(b"\x00" + bytes(rgb) * width for _ in range(height))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


@pytest.fixture
def telegram():
    fake = FakeTelegram()
    yield fake
    fake.close()


def start_server(make_server, telegram, **env):
    server = make_server()
    server.env.update({"KEFU_TELEGRAM_API_URL": telegram.url, **env})
    server.cli("migrate")
    server.cli("admin", "create", "--email", ADMIN[0], "--name", "Ops Admin", stdin=ADMIN[1] + "\n")
    server.start()
    server.token = server.api_login(*ADMIN)
    return server


def api(server, method, path, headers=None, **kwargs):
    headers = {"Authorization": f"Bearer {server.token}", **(headers or {})}
    return requests.request(method, server.url + "/api/v1" + path, headers=headers, timeout=20, **kwargs)


def add_inbox(server, token, name="Official Telegram"):
    response = api(server, "POST", "/inboxes", json={"name": name, "kind": "telegram", "botToken": token})
    assert response.status_code == 201, response.text
    return response.json()


def conversations(server, inbox_id):
    return [c for c in api(server, "GET", "/conversations").json()["items"] if c["inboxId"] == inbox_id]


def messages(server, conversation_id):
    return api(server, "GET", f"/conversations/{conversation_id}/messages").json()["items"]


def reply(server, conversation_id, text, attachment_ids=()):
    response = api(server, "POST", f"/conversations/{conversation_id}/messages",
                   json={"text": text, "attachmentIds": list(attachment_ids)})
    assert response.status_code == 201, response.text
    return response.json()


@pytest.fixture
def polling(make_server, telegram):
    return start_server(make_server, telegram)


def test_a_telegram_user_and_an_agent_talk_through_the_bot(polling, telegram, browser):
    server = polling
    token = telegram.add_bot("wallet_help_bot")

    # A token Telegram refuses, and one of the wrong shape, are clear 400s.
    refused = api(server, "POST", "/inboxes", json={"name": "Bot", "kind": "telegram", "botToken": "123456:" + "A" * 35})
    assert refused.status_code == 400 and refused.json()["code"] == "telegram_token_refused"
    malformed = api(server, "POST", "/inboxes", json={"name": "Bot", "kind": "telegram", "botToken": "not a token"})
    assert malformed.status_code == 400 and malformed.json()["errors"][0]["name"] == "botToken"
    missing = api(server, "POST", "/inboxes", json={"name": "Bot", "kind": "telegram"})
    assert missing.status_code == 400 and missing.json()["errors"][0]["name"] == "botToken"

    inbox = add_inbox(server, token)
    assert inbox["kind"] == "telegram" and inbox["telegram"] == {"username": "wallet_help_bot"}
    assert token not in api(server, "GET", "/inboxes").text
    assert api(server, "POST", "/inboxes", json={"name": "Twice", "kind": "telegram", "botToken": token}).status_code == 409

    sign_in(browser, server, *ADMIN)
    wait_for_path(browser, "/console")

    # The customer writes: text, then a photo with a caption, then a document.
    customer = user(880001, "Wei", "Li", "zh-hans")
    telegram.push(token, private_message(customer, "你好，我的提币一直没到账"))
    conversation = wait_for(lambda: conversations(server, inbox["id"]) and conversations(server, inbox["id"])[0])
    wait_until(browser, lambda d: "我的提币一直没到账" in d.find_element(By.TAG_NAME, "main").text, timeout=20)

    photo_id = telegram.add_file(token, png(), "photos/file_1.jpg")
    telegram.push(token, private_message(customer, caption="这是截图", photo=[
        {"file_id": "thumb", "file_unique_id": "t1", "width": 90, "height": 90, "file_size": 100},
        {"file_id": photo_id, "file_unique_id": "p1", "width": 800, "height": 600}]))
    document_id = telegram.add_file(token, b"%PDF-1.4\nstatement", "documents/file_2.pdf")
    telegram.push(token, private_message(customer, document={"file_id": document_id, "file_unique_id": "d1",
                                                            "file_name": "账单.pdf", "mime_type": "application/pdf"}))
    stored = wait_for(lambda: len(messages(server, conversation["id"])) >= 3 and messages(server, conversation["id"]))
    assert [m["text"] for m in stored] == ["你好，我的提币一直没到账", "这是截图", ""]
    assert stored[1]["attachments"][0]["contentType"] == "image/png"
    assert stored[2]["attachments"][0]["filename"] == "账单.pdf"
    photo = api(server, "GET", f"/attachments/{stored[1]['attachments'][0]['id']}")
    assert photo.status_code == 200 and photo.content == png()
    detail = api(server, "GET", f"/conversations/{conversation['id']}").json()
    assert detail["contact"]["name"] == "Wei Li" and detail["contact"]["locale"] == "zh-CN"

    # The agent answers in the console with text and a picture.
    browser.get(server.url + f"/console/conversations/{conversation['id']}")
    wait_until(browser, lambda d: "这是截图" in d.find_element(By.CSS_SELECTOR, "[data-testid=messages]").text)
    browser.find_element(By.ID, "reply-text").send_keys("您好，已为您查询，预计 10 分钟内到账。")
    click(browser, "[data-testid=composer] button[type=submit]")
    sent = telegram.wait_sent(token, 1)
    assert sent[0]["method"] == "sendMessage" and sent[0]["chat_id"] == "880001"
    # The reply, then the agent's name and verification code in the customer's language.
    body, _, signature = sent[0]["text"].partition("\n\n— ")
    assert body == "您好，已为您查询，预计 10 分钟内到账。" and sent[0]["reply_to"] is None
    assert "验证码 " in signature and signature.endswith("/help/verify 核实")
    wait_until(browser, lambda d: "Sent to Telegram" in d.find_element(By.CSS_SELECTOR, "[data-testid=messages]").text, timeout=20)

    picture = api(server, "POST", "/attachments?filename=guide.png", data=png(4, 4, (10, 120, 200)),
                  headers={"Authorization": f"Bearer {server.token}", "Content-Type": "image/png"})
    assert picture.status_code == 201, picture.text
    reply(server, conversation["id"], "请看这张图", [picture.json()["id"]])
    sent = telegram.wait_sent(token, 3)
    assert [s["method"] for s in sent[1:]] == ["sendMessage", "sendPhoto"]
    upload = sent[2]["file"]
    assert upload["bytes"] == png(4, 4, (10, 120, 200)) and upload["content_type"] == "image/png"
    assert sent[2]["chat_id"] == "880001"

    # An edit is kept beside the original.
    edited = private_message(customer, "你好，我的提币一直没到账（TXID abc）")
    first_id = stored[0]["channelMessageId"].split(":")[1]
    edited["edited_message"] = dict(edited.pop("message"), message_id=int(first_id), edit_date=int(time.time()))
    telegram.push(token, edited)
    wait_until(browser, lambda d: "TXID abc" in d.find_element(By.CSS_SELECTOR, "[data-testid=messages]").text, timeout=20)
    assert "我的提币一直没到账" in browser.find_element(By.CSS_SELECTOR, "[data-testid=messages]").text
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    browser.save_screenshot(str(ARTIFACTS / "telegram-conversation.png"))
    assert console_errors(browser) == []


def test_start_and_help_are_answered_in_the_users_language(polling, telegram):
    token = telegram.add_bot("wallet_help_bot")
    inbox = add_inbox(polling, token)
    start = private_message(user(880002, "Wei", language="zh-hans"), "/start",
                            entities=[{"type": "bot_command", "offset": 0, "length": 6}])
    telegram.push(token, start)
    helpme = private_message(user(880003, "Ann", "Lee", "en"), "/help", entities=[{"type": "bot_command", "offset": 0, "length": 5}])
    telegram.push(token, helpme)
    sent = telegram.wait_sent(token, 2)
    by_chat = {s["chat_id"]: s["text"] for s in sent}
    assert "助记词" in by_chat["880002"] and "@wallet_help_bot" in by_chat["880002"]
    assert "recovery phrase" in by_chat["880003"] and "never writes to you first" in by_chat["880003"]
    # Commands are the bot's business: no conversation for them.
    assert conversations(polling, inbox["id"]) == []


def test_in_a_group_only_mentions_and_replies_to_the_bot_count(polling, telegram):
    token = telegram.add_bot("wallet_help_bot")
    inbox = add_inbox(polling, token)
    member = user(880004, "Chen", language="zh-hans")
    telegram.push(token, group_message(member, -1001234, "大家好，今天行情怎么样"))
    mention = group_message(member, -1001234, "@wallet_help_bot 我的账户被风控了",
                            entities=[{"type": "mention", "offset": 0, "length": 16}])
    telegram.push(token, mention)
    conversation = wait_for(lambda: conversations(polling, inbox["id"]) and conversations(polling, inbox["id"])[0])
    time.sleep(1)
    texts = [m["text"] for m in messages(polling, conversation["id"])]
    assert texts == ["@wallet_help_bot 我的账户被风控了"]
    reply(polling, conversation["id"], "您好，请私信我们您的账户邮箱，切勿公开。")
    sent = telegram.wait_sent(token, 1)
    assert sent[0]["chat_id"] == "-1001234" and sent[0]["reply_to"] == mention["message"]["message_id"]


def test_a_blocked_bot_and_flood_control_are_shown_and_honoured(polling, telegram):
    token = telegram.add_bot("wallet_help_bot")
    inbox = add_inbox(polling, token)
    telegram.push(token, private_message(user(880005, "Zhao"), "在吗"))
    conversation = wait_for(lambda: conversations(polling, inbox["id"]) and conversations(polling, inbox["id"])[0])

    # Flood control: Telegram says wait 2 s; Kefu waits, then the reply goes once.
    telegram.fail(token, "sendMessage", 429, "Too Many Requests: retry after 2", retry_after=2)
    asked = time.time()
    reply(polling, conversation["id"], "在的，请讲")
    sent = telegram.wait_sent(token, 1)
    assert len(sent) == 1 and sent[0]["at"] - asked >= 1.9

    # The customer blocks the bot: the reply fails for good and the agents are told in the history.
    telegram.bots[token].blocked.add("880005")
    reply(polling, conversation["id"], "还需要帮助吗？")
    failed = wait_for(lambda: [m for m in messages(polling, conversation["id"]) if m["text"].startswith("delivery:failed")])
    assert "bot was blocked by the user" in failed[0]["text"]
    time.sleep(1)
    assert len(telegram.bots[token].sent) == 1


def test_a_crash_mid_delivery_sends_nothing_twice_and_updates_count_once(polling, telegram):
    server = polling
    token = telegram.add_bot("wallet_help_bot")
    inbox = add_inbox(server, token)
    customer = user(880006, "Sun")
    telegram.push(token, private_message(customer, "转账卡住了"))
    conversation = wait_for(lambda: conversations(server, inbox["id"]) and conversations(server, inbox["id"])[0])

    # A reply in two parts: the text goes, the picture meets flood control, and Kefu is killed
    # while it waits. After the restart only the picture is sent.
    telegram.fail(token, "sendPhoto", 429, "Too Many Requests: retry after 4", retry_after=4)
    picture = api(server, "POST", "/attachments?filename=steps.png", data=png(3, 3),
                  headers={"Authorization": f"Bearer {server.token}", "Content-Type": "image/png"})
    reply(server, conversation["id"], "按图操作即可", [picture.json()["id"]])
    telegram.wait_sent(token, 1)
    wait_for(lambda: any(method == "sendPhoto" for method, _ in telegram.bots[token].calls))
    time.sleep(0.7)  # Kefu writes down the wait Telegram asked for (a crash mid-request waits out the lease instead)
    server.process.send_signal(signal.SIGKILL)
    server.process.wait()
    killed_at = time.monotonic()

    # Updates that arrive while Kefu is down are read once after the restart, and once only.
    for text in ["还在吗", "麻烦快点"]:
        telegram.push(token, private_message(customer, text))
    server.start()
    # The killed process held the Telegram lease (one poller per bot, docs/deployment.md): the
    # new one takes it once the killed one's heartbeat has been silent for 10 s, about 15 s after
    # the kill. Waiting out the lease would take 25 to 35 s (30 s, renewed every 5 s).
    sent = telegram.wait_sent(token, 2, timeout=70)
    assert time.monotonic() - killed_at < 25, "the restarted process waited out the killed one's lease"
    assert [s["method"] for s in sent] == ["sendMessage", "sendPhoto"]
    wait_for(lambda: len(messages(server, conversation["id"])) >= 4)
    server.stop()
    server.start()
    telegram.push(token, private_message(customer, "谢谢"))
    wait_for(lambda: len(messages(server, conversation["id"])) >= 5)
    time.sleep(1.5)
    texts = [m["text"] for m in messages(server, conversation["id"]) if m["direction"] == "incoming"]
    assert texts == ["转账卡住了", "还在吗", "麻烦快点", "谢谢"]
    assert len(telegram.bots[token].sent) == 2


def test_updates_arrive_by_webhook_when_the_public_url_is_https(make_server, telegram):
    server = make_server()
    telegram.deliver_base = server.url
    server.env.update({"KEFU_TELEGRAM_API_URL": telegram.url, "KEFU_PUBLIC_URL": "https://support.wallet.example"})
    server.cli("migrate")
    server.cli("admin", "create", "--email", ADMIN[0], "--name", "Ops Admin", stdin=ADMIN[1] + "\n")
    server.start()
    server.token = server.api_login(*ADMIN)
    token = telegram.add_bot("wallet_help_bot")
    inbox = add_inbox(server, token)
    bot = telegram.bots[token]
    webhook = wait_for(lambda: bot.webhook)
    assert webhook["url"] == f"https://support.wallet.example/telegram/webhook/{inbox['id']}"
    assert len(webhook["secret_token"]) >= 32 and webhook["allowed_updates"] == ["message", "edited_message", "callback_query"]

    telegram.push(token, private_message(user(880007, "Qian"), "网页端登录不了"))
    conversation = wait_for(lambda: conversations(server, inbox["id"]) and conversations(server, inbox["id"])[0])
    assert [m["text"] for m in messages(server, conversation["id"])] == ["网页端登录不了"]
    assert bot.get_updates_offsets == []

    # Only Telegram knows the secret.
    url = server.url + f"/telegram/webhook/{inbox['id']}"
    update = {"update_id": 1, "message": private_message(user(1, "Mallory"), "fake")["message"]}
    for secret in [None, "wrong", webhook["secret_token"][:-1]]:
        headers = {"X-Telegram-Bot-Api-Secret-Token": secret} if secret else {}
        assert requests.post(url, json=update, headers=headers, timeout=10).status_code == 401
    garbage = requests.post(url, data=b"{not json", headers={"X-Telegram-Bot-Api-Secret-Token": webhook["secret_token"]}, timeout=10)
    assert garbage.status_code == 400
    assert len(conversations(server, inbox["id"])) == 1

    # Back to plain http: the webhook is deleted and Kefu polls, saying so in its log.
    server.stop()
    server.env["KEFU_PUBLIC_URL"] = server.url
    server.start()
    wait_for(lambda: bot.webhook is None and bot.get_updates_offsets)
    telegram.push(token, private_message(user(880007, "Qian"), "现在可以了"))
    wait_for(lambda: len(messages(server, conversation["id"])) == 2)
    log = (server.dir / "server.log").read_text()
    assert "now arrive by polling" in log and "webhook" in log
    assert token not in log


def test_an_admin_adds_a_telegram_inbox_in_the_console(polling, telegram, browser_zh):
    token = telegram.add_bot("wallet_cn_bot")
    sign_in(browser_zh, polling, *ADMIN)
    wait_for_path(browser_zh, "/console")
    browser_zh.get(polling.url + "/console/admin/inboxes")

    def submit(name, bot_token):
        form = browser_zh.find_element(By.CSS_SELECTOR, "[data-testid=add-inbox]")
        form.find_element(By.NAME, "name").clear()
        form.find_element(By.NAME, "name").send_keys(name)
        form.find_element(By.CSS_SELECTOR, "select[name=kind] option[value=telegram]").click()
        form.find_element(By.NAME, "bot_token").send_keys(bot_token)
        form.find_element(By.CSS_SELECTOR, "button[type=submit]").click()

    submit("官方电报", "999:" + "B" * 35)
    error = wait_until(browser_zh, lambda d: d.find_element(By.CSS_SELECTOR, "[data-testid=inbox-error]").text)
    assert "Telegram 不接受此机器人令牌" in error
    assert browser_zh.find_element(By.NAME, "name").get_attribute("value") == "官方电报"
    assert browser_zh.find_element(By.NAME, "bot_token").get_attribute("value") == ""
    submit("官方电报", token)
    bot = wait_until(browser_zh, lambda d: d.find_element(By.CSS_SELECTOR, "[data-testid=telegram-bot]").text)
    assert bot == "@wallet_cn_bot"
    assert token not in browser_zh.page_source
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    browser_zh.save_screenshot(str(ARTIFACTS / "telegram-add-inbox-zh.png"))
    assert console_errors(browser_zh, expected=[(400, "/console/admin/inboxes")]) == []


def test_a_supervisor_publishes_an_announcement_to_the_official_channel(polling, telegram, browser):
    token = telegram.add_bot("wallet_help_bot")
    inbox = add_inbox(polling, token)
    chats = api(polling, "PATCH", f"/inboxes/{inbox['id']}", json={"announceChats": ["@wallet_news", "@wallet_cn=zh-CN"]})
    assert chats.status_code == 200 and chats.json()["telegram"]["announceChats"] == ["@wallet_news", "@wallet_cn=zh-CN"]
    bad = api(polling, "PATCH", f"/inboxes/{inbox['id']}", json={"announceChats": ["wallet_news", "@x"]})
    assert bad.status_code == 400 and [e["name"] for e in bad.json()["errors"]] == ["announceChats[0]", "announceChats[1]"]

    # Telegram is down when it is published: the posts wait in the outbox and go once it is back.
    telegram.fail(token, "sendMessage", 502, "Bad Gateway", count=2)

    sign_in(browser, polling, *ADMIN)
    wait_for_path(browser, "/console")
    click(browser, "[data-testid=nav-announcements]")
    form = wait_until(browser, lambda d: d.find_element(By.CSS_SELECTOR, "[data-testid=announcement-form]"))
    form.find_element(By.NAME, "title_zh").send_keys("系统维护通知")
    form.find_element(By.NAME, "title_en").send_keys("Scheduled maintenance")
    form.find_element(By.NAME, "body_zh").send_keys("12 月 1 日 02:00–03:00（UTC）暂停提币，**充值不受影响**。")
    # The English text is blank: the form comes back with the problem and what was typed.
    form.find_element(By.NAME, "body_en").send_keys("   ")
    form.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    wait_until(browser, lambda d: d.find_element(By.CSS_SELECTOR, "[data-testid=announcement-error]").text)
    assert browser.find_element(By.NAME, "title_zh").get_attribute("value") == "系统维护通知"
    browser.find_element(By.NAME, "body_en").clear()
    browser.find_element(By.NAME, "body_en").send_keys("Withdrawals pause on 1 Dec 02:00–03:00 UTC; **deposits are not affected**.")
    browser.find_element(By.CSS_SELECTOR, "[data-testid=announcement-form] button[type=submit]").click()
    click(browser, "[data-testid=publish]")
    wait_until(browser, lambda d: d.find_element(By.CSS_SELECTOR, "[data-testid=unpublish]"))
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    browser.save_screenshot(str(ARTIFACTS / "announcement.png"))

    sent = telegram.wait_sent(token, 2, timeout=40)
    posts = {s["chat_id"]: s["text"] for s in sent}
    assert set(posts) == {"@wallet_news", "@wallet_cn"}
    assert "系统维护通知" in posts["@wallet_news"] and "Scheduled maintenance" in posts["@wallet_news"]
    assert "Scheduled maintenance" not in posts["@wallet_cn"] and "充值不受影响" in posts["@wallet_cn"] and "**" not in posts["@wallet_cn"]

    listed = requests.get(polling.url + "/api/v1/announcements?locale=zh-CN", timeout=10).json()["items"]
    assert [a["title"] for a in listed] == ["系统维护通知"]
    english = requests.get(polling.url + "/api/v1/announcements", headers={"Accept-Language": "en-US"}, timeout=10).json()["items"]
    assert english[0]["title"] == "Scheduled maintenance" and english[0]["locale"] == "en"

    # Withdrawn: off the list; the history keeps every step.
    click(browser, "[data-testid=unpublish]")
    wait_until(browser, lambda d: d.find_element(By.CSS_SELECTOR, "[data-testid=publish]"))
    assert requests.get(polling.url + "/api/v1/announcements", timeout=10).json()["items"] == []
    history = browser.find_element(By.CSS_SELECTOR, "[data-testid=announcement-history]").text
    assert history.count("v") >= 3 and "withdrawn" in history and "published" in history
    assert len(telegram.bots[token].sent) == 2
    assert console_errors(browser, expected=[(400, "/console/announcements")]) == []
