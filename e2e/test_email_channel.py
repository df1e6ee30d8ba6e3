"""Mail end to end with real peers: Python's smtplib sends to Kefu's SMTP listener, an agent
answers in the console in Chromium, the reply reaches a real SMTP relay (aiosmtpd) threaded,
the customer's answer to it lands in the same conversation; and `kefu ingest-email` as an MTA's
pipe uses it."""
import email
import email.policy
import smtplib
import subprocess
from email.header import Header
from email.mime.text import MIMEText

import pytest
import requests
from aiosmtpd.controller import Controller
from selenium.webdriver.common.by import By

from conftest import ARTIFACTS, KEFU_BIN, ROOT, Capture, click, console_errors, free_port, wait_for, wait_until
from test_console_login import sign_in, wait_for_path

pytestmark = pytest.mark.each_database

FIXTURES = ROOT / "Tests" / "KefuMailTests" / "Fixtures"
ADMIN = ("ops@kefu.example", "e2e-admin-passphrase")


@pytest.fixture
def mail_server(relay, make_server):
    controller, _ = relay
    server = make_server()
    smtp_port = free_port()
    server.env.update({
        "KEFU_SMTP_LISTEN": f"127.0.0.1:{smtp_port}",
        "KEFU_SMTP_RELAY": f"smtp://127.0.0.1:{controller.port}",
        "KEFU_SUPPORT_ADDRESS": "support@kefu.example",
    })
    server.smtp_port = smtp_port
    server.cli("migrate")
    server.cli("admin", "create", "--email", ADMIN[0], "--name", "Ops Admin", stdin=ADMIN[1] + "\n")
    server.start()
    yield server


def test_mail_reply_and_answer_stay_one_conversation(mail_server, relay, browser):
    _, capture = relay
    # A Chinese customer writes in GBK from a Foxmail-like client.
    message = MIMEText("客服您好：\n\n我叫张喆，昨天提现 0.5 BTC 一直显示审核中。\n", "plain", "gbk")
    message["Subject"] = Header("提现一直审核中", "gbk")
    message["From"] = f"{Header('张喆', 'gbk').encode()} <zhang.zhe@example.cn>"
    message["To"] = "support@kefu.example"
    message["Message-ID"] = "<first.1@example.cn>"
    with smtplib.SMTP("127.0.0.1", mail_server.smtp_port, timeout=10) as smtp:
        smtp.ehlo("client.example.cn")
        refused = smtp.sendmail("zhang.zhe@example.cn", ["support@kefu.example", "nobody@kefu.example"], message.as_bytes())
        assert list(refused) == ["nobody@kefu.example"]  # 550 for addresses Kefu does not serve

    # The acknowledgement reaches the relay: Chinese, numbered, marked automatic.
    ack = email.message_from_bytes(wait_for(lambda: capture.messages and capture.messages[0][2]), policy=email.policy.default)
    assert ack["Auto-Submitted"] == "auto-replied"
    assert "[#" in ack["Subject"] and "已收到" in ack["Subject"]
    assert ack["In-Reply-To"] == "<first.1@example.cn>"

    # The agent sees it in the console and answers.
    sign_in(browser, mail_server, *ADMIN)
    wait_for_path(browser, "/console")
    click(browser, "提现一直审核中", by="partial link text")
    wait_until(browser, lambda d: "我叫张喆" in d.find_element(By.CSS_SELECTOR, "[data-testid=messages]").text)
    browser.find_element(By.ID, "reply-text").send_keys("您好，您的提现正在风控复核，预计 2 小时内完成。")
    click(browser, "[data-testid=composer] button[type=submit]")
    wait_until(browser, lambda d: "邮件已发出" in d.find_element(By.CSS_SELECTOR, "[data-testid=messages]").text
               or "Mail sent" in d.find_element(By.CSS_SELECTOR, "[data-testid=messages]").text, timeout=20)

    mail_from, recipients, raw = wait_for(lambda: len(capture.messages) >= 2 and capture.messages[1])
    reply = email.message_from_bytes(raw, policy=email.policy.default)
    assert recipients == ["zhang.zhe@example.cn"]
    assert mail_from == "support@kefu.example"
    assert reply["In-Reply-To"] == "<first.1@example.cn>"
    assert "<first.1@example.cn>" in reply["References"]
    assert reply["Subject"].startswith("Re: [#")
    reply_to = reply["Reply-To"].addresses[0].addr_spec
    assert reply_to.startswith("support+c-") and reply_to.endswith("@kefu.example")
    assert "预计 2 小时内完成" in reply.get_body(("plain",)).get_content()

    # The customer answers from another client (no In-Reply-To), to the reply address only,
    # quoting the agent: still the same conversation, the quote folded away.
    answer = MIMEText("好的，谢谢！\n\n在 2026-11-25 10:00，Kefu 客服 写道：\n> 您好，您的提现正在风控复核\n", "plain", "utf-8")
    answer["Subject"] = Header("Re: " + reply["Subject"], "utf-8")
    answer["From"] = "zhang.zhe@example.cn"
    answer["To"] = reply_to
    answer["Message-ID"] = "<answer.2@example.cn>"
    with smtplib.SMTP("127.0.0.1", mail_server.smtp_port, timeout=10) as smtp:
        smtp.send_message(answer)
    wait_until(browser, lambda d: "好的，谢谢" in d.find_element(By.CSS_SELECTOR, "[data-testid=messages]").text, timeout=20)
    quoted = browser.find_elements(By.CSS_SELECTOR, "[data-testid=quoted]")
    assert quoted and not quoted[-1].find_element(By.CSS_SELECTOR, ".text").is_displayed()
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    browser.save_screenshot(str(ARTIFACTS / "email-conversation.png"))
    token = mail_server.api_login(*ADMIN)
    conversations = requests.get(mail_server.url + "/api/v1/conversations", headers={"Authorization": f"Bearer {token}"},
                                 timeout=10).json()["items"]
    assert len(conversations) == 1
    assert console_errors(browser) == []


def test_ingest_email_is_an_mta_pipe(make_server, backend):
    server = make_server()
    server.env.update({"KEFU_SUPPORT_ADDRESS": "support@kefu.example"})
    server.cli("migrate")
    fixture = (FIXTURES / "outlook-gb2312-qp.eml").read_bytes()

    def pipe(data, *args):
        return subprocess.run([KEFU_BIN, "ingest-email", *args], env=server.env, input=data, capture_output=True, timeout=60)

    first = pipe(fixture, "--sender", "li.wei@outlook.com", "--recipient", "support@kefu.example")
    assert first.returncode == 0, first.stdout + first.stderr
    assert b"stored as conversation #" in first.stdout
    again = pipe(fixture)
    assert again.returncode == 0 and b"already stored" in again.stdout
    assert pipe(b"").returncode == 65
    # A database that cannot be reached now (a file where its directory should be; a PostgreSQL
    # that is down): the MTA must keep the mail and retry, promptly.
    working = server.env
    (server.dir / "not-a-directory").write_text("")
    unreachable = (f"sqlite://{server.dir}/not-a-directory/kefu.sqlite" if backend == "sqlite"
                   else f"postgres://kefu@127.0.0.1:{free_port()}/kefu")
    server.env = dict(server.env, KEFU_DATABASE_URL=unreachable)
    try:
        status = pipe(fixture).returncode
    except subprocess.TimeoutExpired:
        status = "still running after 60 s"
    assert status == 75
    server.env = working

    # What was piped in is there for agents, with its attachment, and the acknowledgement waits
    # in the local outbox (no relay configured).
    server.start()
    server.cli("admin", "create", "--email", ADMIN[0], "--name", "Ops Admin", stdin=ADMIN[1] + "\n")
    token = server.api_login(*ADMIN)
    auth = {"Authorization": f"Bearer {token}"}
    items = requests.get(server.url + "/api/v1/conversations", headers=auth, timeout=10).json()["items"]
    assert len(items) == 1
    conversation = items[0]
    messages = requests.get(f"{server.url}/api/v1/conversations/{conversation['id']}/messages", headers=auth, timeout=10).json()["items"]
    assert "截图已附上" in messages[0]["text"]
    assert [a["filename"] for a in messages[0]["attachments"]] == ["转账截图.png"]
    # Queued by the pipe, kept locally by the server (which has no relay) on its next round.
    wait_for(lambda: [(m["kind"], m["status"]) for m in requests.get(server.url + "/api/v1/outbox", headers=auth, timeout=10).json()["items"]]
             == [("acknowledgement", "local")])
    mails = requests.get(f"{server.url}/api/v1/conversations/{conversation['id']}/mails", headers=auth, timeout=10).json()["items"]
    original = requests.get(f"{server.url}/api/v1/mails/{mails[0]['id']}/raw", headers=auth, timeout=10)
    assert original.content == fixture


@pytest.mark.parametrize("mechanism", ["PLAIN", "LOGIN"])
def test_replies_go_through_a_relay_that_wants_auth(mechanism, make_server):
    from aiosmtpd.smtp import AuthResult

    capture = Capture()
    logins = []

    def authenticator(server, session, envelope, used, auth_data):
        logins.append((used, auth_data.login, auth_data.password))
        return AuthResult(success=auth_data.login == b"kefu@relay" and auth_data.password == b"p@ss:word")

    other = "LOGIN" if mechanism == "PLAIN" else "PLAIN"
    controller = Controller(capture, hostname="127.0.0.1", port=free_port(), authenticator=authenticator,
                            auth_require_tls=False, auth_exclude_mechanism=[other])
    controller.start()
    server = make_server()
    server.env.update({"KEFU_SUPPORT_ADDRESS": "support@kefu.example",
                       "KEFU_SMTP_RELAY": f"smtp://kefu%40relay:p%40ss%3Aword@127.0.0.1:{controller.port}"})
    try:
        server.cli("migrate")
        server.start()
        fixture = (FIXTURES / "gmail-utf8-reply.eml").read_bytes()
        assert subprocess.run([KEFU_BIN, "ingest-email"], env=server.env, input=fixture, capture_output=True, timeout=60).returncode == 0
        wait_for(lambda: capture.messages)
        assert logins == [(mechanism, b"kefu@relay", b"p@ss:word")]
        assert capture.messages[0][1] == ["james.wilson@gmail.com"]
    finally:
        controller.stop()
