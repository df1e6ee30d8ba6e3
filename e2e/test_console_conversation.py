"""An agent works a conversation in the console: reads, replies, notes, assigns, resolves."""
import requests
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys

from conftest import DEMO_ADMIN, click, console_errors, wait_until
from test_console_login import sign_in, wait_for_path


def open_first_open_conversation(driver, server):
    sign_in(driver, server, *DEMO_ADMIN)
    wait_for_path(driver, "/console")
    driver.find_element(By.CSS_SELECTOR, "[data-testid=conversation-list] li a").click()
    wait_until(driver, lambda d: "/console/conversations/" in d.current_url)
    return driver.current_url.split("/console/conversations/")[1].split("#")[0]


def test_reply_note_and_resolve(demo_server, browser):
    conversation_id = open_first_open_conversation(browser, demo_server)
    before = len(browser.find_elements(By.CSS_SELECTOR, "[data-testid=messages] li"))

    def last_message(d):
        items = d.find_elements(By.CSS_SELECTOR, "[data-testid=messages] li")
        return (len(items), items[-1].get_attribute("class"), items[-1].find_element(By.CSS_SELECTOR, ".text").text)

    browser.find_element(By.ID, "reply-text").send_keys("您好，我们已经收到，正在处理。")
    click(browser, "[data-testid=composer] button[type=submit]")
    wait_until(browser, lambda d: last_message(d) == (before + 1, "message outgoing", "您好，我们已经收到，正在处理。"))

    wait_until(browser, lambda d: d.find_element(By.ID, "reply-text").get_attribute("value") == "")
    browser.find_element(By.ID, "reply-text").send_keys("Checked the withdrawal record.")
    click(browser, "private", by="name")
    click(browser, "[data-testid=composer] button[type=submit]")
    wait_until(browser, lambda d: last_message(d) == (before + 2, "message note", "Checked the withdrawal record."))

    # A saved answer: "/res" then Tab inserts the demo's password-reset reply.
    wait_until(browser, lambda d: d.find_element(By.ID, "reply-text").get_attribute("value") == "")
    reply = browser.find_element(By.ID, "reply-text")
    reply.send_keys("/res")
    wait_until(browser, lambda d: d.find_element(By.CSS_SELECTOR, "[data-testid=canned-suggestions]").is_displayed())
    reply.send_keys(Keys.TAB)
    assert reply.get_attribute("value").startswith("您好！请在登录页点击“忘记密码”")
    reply.clear()

    click(browser, "[data-testid=resolve]")
    wait_until(browser, lambda d: d.find_element(By.CSS_SELECTOR, "[data-testid=status]").text == "Resolved")
    assert browser.find_element(By.CSS_SELECTOR, "[data-testid=reopen]").is_displayed()
    assert console_errors(browser) == []

    # The API sees what the console did.
    token = demo_server.api_login(*DEMO_ADMIN)
    conversation = requests.get(f"{demo_server.url}/api/v1/conversations/{conversation_id}",
                                headers={"Authorization": f"Bearer {token}"}, timeout=10).json()
    assert conversation["status"] == "resolved"
    messages = requests.get(f"{demo_server.url}/api/v1/conversations/{conversation_id}/messages",
                            headers={"Authorization": f"Bearer {token}"}, timeout=10).json()["items"]
    assert [m["direction"] for m in messages[-3:]] == ["outgoing", "note", "system"]
    assert [m["seq"] for m in messages] == list(range(1, len(messages) + 1))


def test_customer_markup_is_shown_as_text_in_the_browser(demo_server, browser):
    token = demo_server.api_login(*DEMO_ADMIN)
    headers = {"Authorization": f"Bearer {token}"}
    conversation = requests.get(f"{demo_server.url}/api/v1/conversations?limit=1", headers=headers, timeout=10).json()["items"][0]
    payload = '<script>window.__pwned = 1</script><img src=x onerror="window.__pwned = 2">'
    response = requests.post(f"{demo_server.url}/api/v1/conversations/{conversation['id']}/messages",
                             json={"text": payload, "private": True}, headers=headers, timeout=10)
    assert response.status_code == 201
    sign_in(browser, demo_server, *DEMO_ADMIN)
    wait_for_path(browser, "/console")
    browser.get(f"{demo_server.url}/console/conversations/{conversation['id']}")
    texts = [e.text for e in browser.find_elements(By.CSS_SELECTOR, "[data-testid=messages] .text")]
    assert payload in texts
    assert browser.execute_script("return window.__pwned === undefined")
    assert browser.find_elements(By.CSS_SELECTOR, "[data-testid=messages] img") == []


def test_console_speaks_chinese_to_a_chinese_browser(demo_server, browser_zh):
    browser_zh.get(demo_server.url + "/console/login")
    assert browser_zh.find_element(By.TAG_NAME, "h1").text == "登录客服工作台"
    sign_in(browser_zh, demo_server, *DEMO_ADMIN)
    wait_for_path(browser_zh, "/console")
    assert browser_zh.find_element(By.TAG_NAME, "h1").text == "会话"
    browser_zh.find_element(By.CSS_SELECTOR, "button.lang").click()  # a form: the choice is stored
    wait_until(browser_zh, lambda d: d.find_element(By.TAG_NAME, "h1").text == "Conversations")
    assert console_errors(browser_zh) == []
