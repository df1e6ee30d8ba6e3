"""The community feedback board end to end in Chromium (docs/feedback-board.md), with mail through a
real SMTP relay: a customer comes from the chat widget's link, signs in and posts; another votes and
comments; what they wrote stays text; an agent answers officially in the console and a supervisor
sets the status, which the author and the voter are told of by mail; a duplicate is merged."""
import email
import email.policy
import re

import pytest
import requests
from selenium.webdriver.common.by import By

from conftest import ARTIFACTS, click, console_errors, serve_host_page, wait_for, wait_until

pytestmark = pytest.mark.each_database

ADMIN = ("ops@kefu.example", "e2e-admin-passphrase")
PASSWORD = "Board-e2e-2026!"
HOSTILE = '<img src=x onerror="document.title=\'owned\'">'


@pytest.fixture
def board_server(relay, make_server):
    controller, _ = relay
    server = make_server()
    server.env.update({"KEFU_SMTP_RELAY": f"smtp://127.0.0.1:{controller.port}", "KEFU_SUPPORT_ADDRESS": "support@kefu.example",
                       "KEFU_PUBLIC_URL": f"http://127.0.0.1:{server.port}"})
    server.cli("migrate")
    server.cli("admin", "create", "--email", ADMIN[0], "--name", "Ops Admin", stdin=ADMIN[1] + "\n")
    server.start()
    yield server


def mails_to(capture, address):
    """The plain-text bodies of every mail the relay got for `address`."""
    bodies = []
    for _, recipients, raw in capture.messages:
        if address in recipients:
            bodies.append(email.message_from_bytes(raw, policy=email.policy.default).get_body(("plain",)).get_content())
    return bodies


def register_and_verify(driver, server, capture, address):
    """A new wallet account whose address is confirmed through the mailed link."""
    driver.get(server.url + "/account/register")
    for name, value in {"email": address, "password": PASSWORD}.items():
        wait_until(driver, lambda d: d.find_element(By.CSS_SELECTOR, f"[data-testid=field-{name}]")).send_keys(value)
    click(driver, "[data-testid=submit]")
    wait_until(driver, lambda d: d.find_elements(By.CSS_SELECTOR, "[data-testid=message]"))
    text = wait_for(lambda: next((body for body in mails_to(capture, address) if "/account/verify?token=" in body), None))
    driver.get(re.search(r"(http://\S+/account/verify\?token=[A-Za-z0-9_-]+)", text).group(1))
    click(driver, "[data-testid=submit]")
    wait_until(driver, lambda d: d.find_elements(By.CSS_SELECTOR, "[data-testid=message]"))


def sign_in_here(driver, address):
    """Fills the sign-in page the board sent the browser to."""
    wait_until(driver, lambda d: "/account/login" in d.current_url)
    driver.find_element(By.CSS_SELECTOR, "[data-testid=field-email]").send_keys(address)
    driver.find_element(By.CSS_SELECTOR, "[data-testid=field-password]").send_keys(PASSWORD)
    click(driver, "[data-testid=submit]")


def no_sideways_scroll(driver, width=390):
    driver.set_window_size(width, 900)
    assert driver.execute_script("return document.documentElement.scrollWidth") <= width
    driver.set_window_size(1400, 900)


def test_customers_post_vote_and_hear_of_the_status(board_server, relay, browser, browser_zh):
    _, capture = relay
    server = board_server
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    token = server.api_login(*ADMIN)
    auth = {"Authorization": f"Bearer {token}"}
    inbox = requests.post(server.url + "/api/v1/inboxes", json={"name": "Chat", "kind": "webchat"}, headers=auth, timeout=10).json()

    # The author comes from the chat widget's link: sign in, then straight to the form.
    author = browser
    register_and_verify(author, server, capture, "li.wei@example.cn")
    host = serve_host_page(server.url, lambda: f'<script src="{server.url}/widget.js" data-inbox="{inbox["id"]}" async></script>')
    try:
        author.get(f"http://127.0.0.1:{host.server_address[1]}/")
        author.switch_to.frame(author.find_element(By.CSS_SELECTOR, "iframe[data-kefu-widget]"))
        click(author, "[data-testid=launcher]")
        suggest = author.find_element(By.CSS_SELECTOR, "[data-testid=widget-suggest]")
        href = suggest.get_attribute("href")
        assert href.endswith("/help/en/feedback/new?from=widget") and suggest.get_attribute("target") == "_blank"
        author.switch_to.default_content()
    finally:
        host.shutdown()
    author.get(href)  # signed out: to the sign-in page, then back to the form
    sign_in_here(author, "li.wei@example.cn")
    wait_until(author, lambda d: d.find_element(By.CSS_SELECTOR, "[data-testid=feedback-new-form]"))
    assert author.current_url.endswith("/help/en/feedback/new?from=widget")
    author.find_element(By.CSS_SELECTOR, "[data-testid=feedback-title]").send_keys("Labels for saved withdrawal addresses")
    author.find_element(By.CSS_SELECTOR, "[data-testid=feedback-body]").send_keys("Let me name them.\n" + HOSTILE)
    author.save_screenshot(str(ARTIFACTS / "feedback-new.png"))
    click(author, "[data-testid=feedback-submit]")
    flash = wait_until(author, lambda d: d.find_element(By.CSS_SELECTOR, "[data-testid=feedback-flash]"))
    assert "Thank you" in flash.text
    post_url = author.current_url.split("?")[0]
    number = int(post_url.rsplit("/", 1)[1])
    body = author.find_element(By.CSS_SELECTOR, "[data-testid=feedback-body]")
    assert HOSTILE in body.text and "Let me name them.\n" in body.text  # text, line break kept
    assert author.title != "owned" and not author.find_elements(By.CSS_SELECTOR, "[data-testid=feedback-body] img")
    assert author.find_element(By.CSS_SELECTOR, "[data-testid=feedback-votes]").text == "1"
    console_errors(author)

    # Another customer finds it on the board (in Chinese), signs in from the post and votes and comments.
    voter = browser_zh
    register_and_verify(voter, server, capture, "chen.jing@example.cn")
    voter.get(server.url + "/help/zh-CN/feedback")
    row = wait_until(voter, lambda d: d.find_element(By.CSS_SELECTOR, f"[data-testid=feedback-post-row][data-number='{number}']"))
    row.find_element(By.CSS_SELECTOR, "a.post-title").click()
    click(voter, "[data-testid=feedback-sign-in-hint] a")
    sign_in_here(voter, "chen.jing@example.cn")
    wait_until(voter, lambda d: d.current_url.endswith(f"/help/zh-CN/feedback/{number}"))
    click(voter, "[data-testid=feedback-vote]")
    wait_until(voter, lambda d: d.find_element(By.CSS_SELECTOR, "[data-testid=feedback-votes]").text == "2")
    voter.find_element(By.CSS_SELECTOR, "[data-testid=feedback-comment-body]").send_keys("我也需要这个功能")
    click(voter, "[data-testid=feedback-comment-submit]")
    wait_until(voter, lambda d: "我也需要这个功能" in d.find_element(By.CSS_SELECTOR, "[data-testid=feedback-comments]").text)
    voter.save_screenshot(str(ARTIFACTS / "feedback-post-zh.png"))
    no_sideways_scroll(voter)

    # The agent answers officially and sets the status in the console.
    from test_console_login import sign_in, wait_for_path
    agent = author
    agent.delete_all_cookies()
    sign_in(agent, server, *ADMIN)
    wait_for_path(agent, "/console")
    agent.get(server.url + "/console/feedback")
    agent.find_element(By.CSS_SELECTOR, f"[data-testid=feedback-post-row][data-number='{number}'] a").click()
    assert "from the chat widget" in wait_until(agent, lambda d: d.find_element(By.TAG_NAME, "main")).text
    agent.find_element(By.CSS_SELECTOR, "[data-testid=feedback-answer]").send_keys("Planned for the next release.")
    click(agent, "[data-testid=feedback-answer-send]")
    wait_until(agent, lambda d: "flash=saved" in d.current_url)
    agent.find_element(By.CSS_SELECTOR, "[data-testid=feedback-status-select] option[value=planned]").click()
    click(agent, "[data-testid=feedback-status-save]")
    wait_until(agent, lambda d: "flash=saved" in d.current_url and "Planned" in d.find_element(By.CSS_SELECTOR, "[data-testid=feedback-status]").text)
    agent.save_screenshot(str(ARTIFACTS / "feedback-console-post.png"))
    no_sideways_scroll(agent)

    # Both followers hear of it by mail, in their language, with the link.
    for address, words in (("li.wei@example.cn", "Planned"), ("chen.jing@example.cn", "已计划")):
        text = wait_for(lambda: next((b for b in mails_to(capture, address) if f"/feedback/{number}" in b), None))
        assert words in text
    voter.refresh()
    official = wait_until(voter, lambda d: d.find_element(By.CSS_SELECTOR, "[data-testid=feedback-official]"))
    assert "Planned for the next release." in official.text
    assert "已计划" in voter.find_element(By.CSS_SELECTOR, "[data-testid=feedback-status]").text


def test_a_duplicate_is_merged_and_its_readers_follow(board_server, relay, browser):
    _, capture = relay
    server = board_server
    register_and_verify(browser, server, capture, "wang.fang@example.cn")
    browser.get(server.url + "/help/en/feedback/new")
    sign_in_here(browser, "wang.fang@example.cn")
    numbers = []
    for title in ("Export transactions as CSV", "CSV export for taxes"):
        browser.get(server.url + "/help/en/feedback/new")
        browser.find_element(By.CSS_SELECTOR, "[data-testid=feedback-kind-suggestion]").click()
        browser.find_element(By.CSS_SELECTOR, "[data-testid=feedback-title]").send_keys(title)
        browser.find_element(By.CSS_SELECTOR, "[data-testid=feedback-body]").send_keys("For my tax return.")
        click(browser, "[data-testid=feedback-submit]")
        wait_until(browser, lambda d: d.find_elements(By.CSS_SELECTOR, "[data-testid=feedback-flash]"))
        numbers.append(int(browser.current_url.split("?")[0].rsplit("/", 1)[1]))
    browser.find_element(By.CSS_SELECTOR, "[data-testid=feedback-report-form]").find_element(By.XPATH, "..").find_element(By.TAG_NAME, "summary").click()
    browser.find_element(By.CSS_SELECTOR, "[data-testid=feedback-report-reason]").send_keys("duplicate")
    click(browser, "[data-testid=feedback-report-send]")
    wait_until(browser, lambda d: "reported=1" in d.current_url)
    from test_console_login import sign_in, wait_for_path
    browser.delete_all_cookies()
    sign_in(browser, server, *ADMIN)
    wait_for_path(browser, "/console")
    browser.get(server.url + "/console/feedback/reports")
    assert "duplicate" in browser.find_element(By.CSS_SELECTOR, "[data-testid=feedback-reports]").text
    browser.save_screenshot(str(ARTIFACTS / "feedback-reports.png"))
    browser.get(server.url + "/console/feedback")
    browser.find_element(By.CSS_SELECTOR, f"[data-testid=feedback-post-row][data-number='{numbers[1]}'] a").click()
    browser.find_element(By.CSS_SELECTOR, "[data-testid=feedback-merge-into]").send_keys(f"#{numbers[0]}")
    click(browser, "[data-testid=feedback-merge]")
    wait_until(browser, lambda d: d.find_element(By.CSS_SELECTOR, "[data-testid=feedback-merged-into]"))
    browser.delete_all_cookies()
    browser.get(f"{server.url}/help/en/feedback/{numbers[1]}")
    wait_until(browser, lambda d: d.current_url.split("?")[0].endswith(f"/help/en/feedback/{numbers[0]}"))
    assert f"#{numbers[1]}" in browser.find_element(By.CSS_SELECTOR, "[data-testid=feedback-flash]").text
    # Both posts' author voted once: one vote, not two, on the kept post.
    assert browser.find_element(By.CSS_SELECTOR, "[data-testid=feedback-votes]").text == "1"
