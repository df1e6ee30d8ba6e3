"""A customer chats from the widget on a host page with a strict CSP; an agent answers in the
console; the reply arrives live; the conversation survives a reload."""
import struct
import tempfile
import zlib

import pytest
import requests
from selenium.webdriver.common.by import By

from conftest import ARTIFACTS, DEMO_ADMIN, click, console_errors, serve_host_page, wait_until
from test_console_login import sign_in, wait_for_path

pytestmark = pytest.mark.each_database


def widget_page(kefu, inbox):
    """The wallet's page embedding the widget."""
    return serve_host_page(kefu.url, lambda: '<h1>My Wallet</h1><p>Balance: 1.2 BTC</p>'
                           f'<script src="{kefu.url}/widget.js" data-inbox="{inbox["id"]}" async></script>')


@pytest.fixture
def host_page(demo_server):
    token = demo_server.api_login(*DEMO_ADMIN)
    inboxes = requests.get(demo_server.url + "/api/v1/inboxes", headers={"Authorization": f"Bearer {token}"}, timeout=10).json()["items"]
    inbox = next(i for i in inboxes if i["kind"] == "webchat")
    server = widget_page(demo_server, inbox)
    yield f"http://127.0.0.1:{server.server_address[1]}/", inbox
    server.shutdown()


@pytest.fixture
def quiet_host_page(fresh_server):
    """The same, on a Kefu where no agent has a console open."""
    token = fresh_server.api_login("ops@kefu.example", "e2e-admin-passphrase")
    inbox = requests.post(fresh_server.url + "/api/v1/inboxes", json={"name": "Night chat", "kind": "webchat"},
                          headers={"Authorization": f"Bearer {token}"}, timeout=10).json()
    server = widget_page(fresh_server, inbox)
    yield f"http://127.0.0.1:{server.server_address[1]}/", inbox
    server.shutdown()


def tiny_png(path):
    """A real 8×8 PNG (a screenshot stand-in) written to `path`."""
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    rows = b"".join(b"\x00" + b"\x1f\x6f\xeb" * 8 for _ in range(8))
    png = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 8, 8, 8, 2, 0, 0, 0)) + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")
    with open(path, "wb") as file:
        file.write(png)
    return path


def open_widget(driver, url):
    driver.get(url)
    frame = driver.find_element(By.CSS_SELECTOR, "iframe[data-kefu-widget]")
    driver.switch_to.frame(frame)
    driver.find_element(By.CSS_SELECTOR, "[data-testid=launcher]").click()
    return frame


def widget_texts(driver):
    return [e.text for e in driver.find_elements(By.CSS_SELECTOR, "[data-testid=widget-messages] .message .text")]


def test_customer_and_agent_chat_live(demo_server, host_page, browser_zh, browser):
    url, inbox = host_page
    customer = browser_zh
    # The agent is already looking at the inbox; new chats must appear without a reload.
    sign_in(browser, demo_server, *DEMO_ADMIN)
    wait_for_path(browser, "/console")
    frame = open_widget(customer, url)
    customer.find_element(By.NAME, "name").send_keys("陈先生")
    customer.find_element(By.CSS_SELECTOR, "[data-testid=widget-uid]").send_keys("UID 88001234")
    customer.find_element(By.CSS_SELECTOR, "#topic option[value=withdrawal-limit]").click()
    customer.find_element(By.CSS_SELECTOR, "[data-testid=prechat] button").click()
    text = customer.find_element(By.ID, "text")
    text.send_keys("你好，我的提现额度是多少？<img src=x onerror=alert(1)>")
    customer.find_element(By.CSS_SELECTOR, "[data-testid=widget-composer] button").click()
    wait_until(customer, lambda d: d.find_elements(By.CSS_SELECTOR, ".message.incoming:not(.pending)"))
    assert widget_texts(customer) == ["你好，我的提现额度是多少？<img src=x onerror=alert(1)>"]
    assert customer.find_elements(By.CSS_SELECTOR, "[data-testid=widget-messages] img") == []

    # The agent sees it arrive live and answers.
    wait_until(browser, lambda d: d.find_elements(By.PARTIAL_LINK_TEXT, "陈先生"))
    click(browser, "陈先生", by="partial link text")
    wait_until(browser, lambda d: "/console/conversations/" in d.current_url)
    wait_until(browser, lambda d: "withdrawal-limit" in d.find_element(By.CSS_SELECTOR, ".sidebar").text)
    assert "UID 88001234" in browser.find_element(By.CSS_SELECTOR, "[data-testid=claimed-uid]").text
    browser.find_element(By.ID, "reply-text").send_keys("您好，您当前是一级认证，每日提现额度为 10,000 美元。")
    click(browser, "[data-testid=composer] button[type=submit]")

    # It arrives in the widget without a reload.
    wait_until(customer, lambda d: len(widget_texts(d)) == 2)
    assert widget_texts(customer)[1] == "您好，您当前是一级认证，每日提现额度为 10,000 美元。"
    agent_label = customer.find_elements(By.CSS_SELECTOR, ".message.outgoing .who")[0].text
    # The agent's name, then the verification code the reply carries (docs/trust-and-safety.md).
    assert agent_label.splitlines()[1] == "王敏 Wang Min" and agent_label.splitlines()[2].startswith("验证码 ")
    assert customer.find_element(By.CSS_SELECTOR, ".message.outgoing .avatar").text == "WM"
    # Read marks both ways: the agent has the conversation open, the customer the chat.
    wait_until(customer, lambda d: "已读" in d.find_elements(By.CSS_SELECTOR, ".message.incoming .mark")[0].text)
    wait_until(browser, lambda d: d.find_elements(By.CSS_SELECTOR, "[data-testid=read-mark]"))
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    customer.save_screenshot(str(ARTIFACTS / "widget-conversation.png"))

    # The customer types and writes again: the open console view shows both live.
    customer.find_element(By.ID, "text").send_keys("好的")
    wait_until(browser, lambda d: d.find_element(By.CSS_SELECTOR, "[data-testid=customer-typing]").is_displayed())
    customer.find_element(By.CSS_SELECTOR, "[data-testid=widget-composer] button").click()
    wait_until(browser, lambda d: d.find_elements(By.CSS_SELECTOR, "[data-testid=messages] li")[-1].text.endswith("好的"))

    # A screenshot from the customer reaches the agent as an image.
    shot = tiny_png(tempfile.mktemp(suffix="-转账截图.png"))
    customer.find_element(By.CSS_SELECTOR, "[data-testid=widget-file]").send_keys(shot)
    wait_until(browser, lambda d: d.find_elements(By.CSS_SELECTOR, "[data-testid=messages] .files img"))
    wait_until(browser, lambda d: d.execute_script(
        "const i = document.querySelector('[data-testid=messages] .files img'); return i.complete && i.naturalWidth === 8"))
    wait_until(customer, lambda d: d.execute_script(
        "const i = document.querySelector('.message.incoming .files img'); return !!i && i.complete && i.naturalWidth === 8"))

    # A reload keeps the conversation (session token in localStorage, history replayed).
    customer.switch_to.default_content()
    open_widget(customer, url)
    wait_until(customer, lambda d: len(widget_texts(d)) == 4)
    assert customer.find_element(By.CSS_SELECTOR, "[data-testid=prechat]").is_displayed() is False

    # Resolving in the console tells the customer.
    click(browser, "[data-testid=resolve]")
    wait_until(customer, lambda d: d.find_elements(By.CSS_SELECTOR, ".event"))
    assert "已解决" in customer.find_element(By.CSS_SELECTOR, ".event").text
    customer.switch_to.default_content()
    assert console_errors(customer) == []
    assert console_errors(browser) == []


def test_with_no_agent_online_the_widget_offers_email(quiet_host_page, browser):
    url, _ = quiet_host_page
    open_widget(browser, url)
    browser.find_element(By.CSS_SELECTOR, "[data-testid=prechat] button").click()
    wait_until(browser, lambda d: d.find_element(By.CSS_SELECTOR, "[data-testid=offline]").is_displayed())
    browser.find_element(By.ID, "offline-address").send_keys("night.owl@example.com")
    browser.find_element(By.CSS_SELECTOR, "[data-testid=offline] button").click()
    wait_until(browser, lambda d: d.find_element(By.ID, "offline-saved").is_displayed())
    browser.find_element(By.ID, "text").send_keys("Is anyone there?")
    browser.find_element(By.CSS_SELECTOR, "[data-testid=widget-composer] button").click()
    wait_until(browser, lambda d: d.find_elements(By.CSS_SELECTOR, ".message.incoming:not(.pending)"))
    browser.switch_to.default_content()
    assert console_errors(browser) == []


def test_a_restart_loses_nothing(quiet_host_page, fresh_server, browser):
    """The server restarts mid-conversation: the widget reconnects by itself, replays the agent's
    reply it missed, and resends the message typed meanwhile, which is stored once."""
    url, _ = quiet_host_page
    open_widget(browser, url)
    browser.find_element(By.CSS_SELECTOR, "[data-testid=prechat] button").click()
    browser.find_element(By.ID, "text").send_keys("before the restart")
    browser.find_element(By.CSS_SELECTOR, "[data-testid=widget-composer] button").click()
    wait_until(browser, lambda d: d.find_elements(By.CSS_SELECTOR, ".message.incoming:not(.pending)"))

    fresh_server.stop()
    browser.find_element(By.ID, "text").send_keys("typed while you were away")
    browser.find_element(By.CSS_SELECTOR, "[data-testid=widget-composer] button").click()
    fresh_server.start()
    token = fresh_server.api_login("ops@kefu.example", "e2e-admin-passphrase")
    auth = {"Authorization": f"Bearer {token}"}
    conversation = requests.get(fresh_server.url + "/api/v1/conversations", headers=auth, timeout=10).json()["items"][0]
    path = f"{fresh_server.url}/api/v1/conversations/{conversation['id']}/messages"
    requests.post(path, json={"text": "reply sent during the outage"}, headers=auth, timeout=10)

    wait_until(browser, lambda d: widget_texts(d) == ["before the restart", "typed while you were away", "reply sent during the outage"]
               or widget_texts(d) == ["before the restart", "reply sent during the outage", "typed while you were away"], timeout=30)
    wait_until(browser, lambda d: not d.find_elements(By.CSS_SELECTOR, ".message.pending"), timeout=30)
    stored = [m["text"] for m in requests.get(path, headers=auth, timeout=10).json()["items"] if m["direction"] != "system"]
    assert stored.count("typed while you were away") == 1
    browser.switch_to.default_content()
