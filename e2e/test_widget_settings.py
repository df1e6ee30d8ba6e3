"""An admin sets an inbox's pre-chat form in the console; the widget asks exactly that, in the
visitor's language; an agent's uploaded picture appears next to their reply."""
import tempfile

import pytest
import requests
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select

from conftest import ARTIFACTS, click, console_errors, wait_until
from test_console_login import sign_in, wait_for_path
from test_widget_chat import open_widget, tiny_png, widget_page, widget_texts

pytestmark = pytest.mark.each_database

ADMIN = ("ops@kefu.example", "e2e-admin-passphrase")


def test_admin_shapes_the_prechat_form_and_agents_show_their_picture(fresh_server, browser, browser_zh):
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    token = fresh_server.api_login(*ADMIN)
    auth = {"Authorization": f"Bearer {token}"}
    inbox = requests.post(fresh_server.url + "/api/v1/inboxes", json={"name": "App chat", "kind": "webchat"},
                          headers=auth, timeout=10).json()
    host = widget_page(fresh_server, inbox)
    try:
        admin = browser
        sign_in(admin, fresh_server, *ADMIN)
        wait_for_path(admin, "/console")
        admin.get(fresh_server.url + "/console/admin")
        click(admin, "[data-testid=admin-inboxes]")
        wait_for_path(admin, "/console/admin/inboxes")
        assert f'data-inbox="{inbox["id"]}"' in admin.find_element(By.CSS_SELECTOR, "[data-testid=inbox-list]").text
        click(admin, "[data-testid=inbox-settings-link]")
        wait_until(admin, lambda d: d.find_elements(By.CSS_SELECTOR, "[data-testid=inbox-settings]"))

        Select(admin.find_element(By.CSS_SELECTOR, "[data-testid=ask-name]")).select_by_value("hidden")
        Select(admin.find_element(By.CSS_SELECTOR, "[data-testid=ask-email]")).select_by_value("required")
        Select(admin.find_element(By.CSS_SELECTOR, "[data-testid=ask-topic]")).select_by_value("required")
        # Keep two topics: a new one first, then "security"; a duplicate key is refused first.
        def fill(index, key, en, zh):
            for part, value in (("key", key), ("en", en), ("zh", zh)):
                field = admin.find_element(By.CSS_SELECTOR, f"[data-testid=topic-{part}-{index}]")
                field.clear()
                field.send_keys(value)
        fill(0, "kyc", "Identity verification", "身份认证")
        fill(1, "kyc", "Duplicate", "重复")
        for index in (2, 4):
            admin.find_element(By.CSS_SELECTOR, f"[data-testid=topic-key-{index}]").clear()
        click(admin, "[data-testid=save-inbox]")
        errors = wait_until(admin, lambda d: d.find_element(By.CSS_SELECTOR, "[data-testid=form-errors]"))
        assert "Topic 2" in errors.text
        # What the admin typed is still there to fix.
        assert admin.find_element(By.CSS_SELECTOR, "[data-testid=topic-en-0]").get_attribute("value") == "Identity verification"
        admin.find_element(By.CSS_SELECTOR, "[data-testid=topic-key-1]").clear()
        admin.save_screenshot(str(ARTIFACTS / "inbox-settings.png"))
        click(admin, "[data-testid=save-inbox]")
        wait_until(admin, lambda d: "flash=saved" in d.current_url)
        form = requests.get(f"{fresh_server.url}/api/v1/widget/inboxes/{inbox['id']}", timeout=10).json()["prechatForm"]
        assert [t["key"] for t in form["topics"]] == ["kyc", "security"]
        assert (form["name"], form["email"], form["topic"]) == ("hidden", "required", "required")

        # The agent's picture, uploaded on the profile page.
        admin.get(fresh_server.url + "/console/profile")
        picture = tiny_png(tempfile.mktemp(suffix=".png"))
        admin.find_element(By.CSS_SELECTOR, "[data-testid=avatar-file]").send_keys(picture)
        wait_until(admin, lambda d: d.find_elements(By.CSS_SELECTOR, "[data-testid=avatar-image]"))
        assert admin.execute_script("return document.querySelector('[data-testid=avatar-image]').naturalWidth") == 8
        admin.save_screenshot(str(ARTIFACTS / "profile-avatar.png"))
        admin.get(fresh_server.url + "/console")

        # A Chinese-speaking visitor gets the form the admin chose, in Chinese.
        customer = browser_zh
        open_widget(customer, f"http://127.0.0.1:{host.server_address[1]}/")
        wait_until(customer, lambda d: d.find_element(By.CSS_SELECTOR, "[data-testid=prechat]").is_displayed())
        assert customer.find_elements(By.CSS_SELECTOR, "[data-testid=widget-name]") == []
        email = customer.find_element(By.CSS_SELECTOR, "[data-testid=widget-email]")
        assert email.get_attribute("required") == "true"
        options = [o.text for o in customer.find_elements(By.CSS_SELECTOR, "[data-testid=widget-topic] option")]
        assert options == ["请选择…", "身份认证", "账户安全"]
        customer.save_screenshot(str(ARTIFACTS / "widget-prechat-configured.png"))
        # The browser will not submit without the required answers.
        customer.find_element(By.CSS_SELECTOR, "[data-testid=prechat] button").click()
        assert customer.find_element(By.CSS_SELECTOR, "[data-testid=prechat]").is_displayed()
        email.send_keys("zhang@example.cn")
        Select(customer.find_element(By.CSS_SELECTOR, "[data-testid=widget-topic]")).select_by_value("kyc")
        customer.find_element(By.CSS_SELECTOR, "[data-testid=prechat] button").click()
        customer.find_element(By.ID, "text").send_keys("我的身份认证一直没通过")
        customer.find_element(By.CSS_SELECTOR, "[data-testid=widget-composer] button").click()
        wait_until(customer, lambda d: d.find_elements(By.CSS_SELECTOR, ".message.incoming:not(.pending)"))

        # The agent answers from the console; the reply carries the agent's picture.
        conversation = wait_until(admin, lambda d: requests.get(
            fresh_server.url + "/api/v1/conversations", headers=auth, timeout=10).json()["items"])[0]
        assert conversation["labels"] == ["kyc"]
        admin.get(f"{fresh_server.url}/console/conversations/{conversation['id']}")
        admin.find_element(By.ID, "reply-text").send_keys("请上传证件正面照片，我们会在 24 小时内审核。")
        click(admin, "[data-testid=composer] button[type=submit]")
        wait_until(customer, lambda d: len(widget_texts(d)) == 2)
        wait_until(customer, lambda d: d.execute_script(
            "const i = document.querySelector('.message.outgoing img.avatar'); return !!i && i.complete && i.naturalWidth === 8"))
        customer.save_screenshot(str(ARTIFACTS / "widget-agent-picture.png"))
        customer.switch_to.default_content()
        assert console_errors(customer) == []
        # The refused save answered 400 on purpose (the form shown again with its problems).
        assert console_errors(admin, expected=[(400, f"/console/admin/inboxes/{inbox['id']}")]) == []
    finally:
        host.shutdown()


def read_code(server, token):
    """The latest verification code, from the outbox (no relay configured)."""
    import email as email_lib
    import re
    auth = {"Authorization": f"Bearer {token}"}
    mail = requests.get(server.url + "/api/v1/outbox", headers=auth, timeout=10).json()["items"][0]
    raw = requests.get(f"{server.url}/api/v1/outbox/{mail['id']}/raw", headers=auth, timeout=10).content
    text = email_lib.message_from_bytes(raw).get_payload(decode=True).decode()
    return re.search(r"(?:code is|验证码是)[:：]\s*(\d{6})", text).group(1)


def test_a_verified_email_brings_the_history_to_another_device(fresh_server, browser, browser_zh):
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    token = fresh_server.api_login(*ADMIN)
    inbox = requests.post(fresh_server.url + "/api/v1/inboxes", json={"name": "Web", "kind": "webchat"},
                          headers={"Authorization": f"Bearer {token}"}, timeout=10).json()
    host = widget_page(fresh_server, inbox)
    url = f"http://127.0.0.1:{host.server_address[1]}/"
    try:
        # Device A: chats, then keeps the chat for other devices by verifying the email.
        phone = browser_zh
        open_widget(phone, url)
        phone.find_element(By.CSS_SELECTOR, "[data-testid=prechat] button[type=submit]").click()
        phone.find_element(By.ID, "text").send_keys("换手机后谷歌验证器丢失")
        phone.find_element(By.CSS_SELECTOR, "[data-testid=widget-composer] button").click()
        wait_until(phone, lambda d: d.find_elements(By.CSS_SELECTOR, ".message.incoming:not(.pending)"))
        click(phone, "[data-testid=widget-keep]")
        phone.find_element(By.CSS_SELECTOR, "[data-testid=verify-email]").send_keys("chen.jing@example.cn")
        click(phone, "[data-testid=send-code]")
        wait_until(phone, lambda d: d.find_element(By.CSS_SELECTOR, "[data-testid=verify-code]").is_displayed())
        phone.find_element(By.CSS_SELECTOR, "[data-testid=verify-code]").send_keys(read_code(fresh_server, token))
        click(phone, "[data-testid=confirm-code]")
        wait_until(phone, lambda d: "邮箱已验证" in d.find_element(By.CSS_SELECTOR, "[data-testid=widget-messages]").text)
        wait_until(phone, lambda d: widget_texts(d) == ["换手机后谷歌验证器丢失"])

        # Device B: a new browser, "chatted with us before?", the same address: the same history.
        laptop = browser
        open_widget(laptop, url)
        click(laptop, "[data-testid=widget-returning]")
        laptop.find_element(By.CSS_SELECTOR, "[data-testid=verify-email]").send_keys("chen.jing@example.cn")
        click(laptop, "[data-testid=send-code]")
        wait_until(laptop, lambda d: d.find_element(By.CSS_SELECTOR, "[data-testid=verify-code]").is_displayed())
        laptop.save_screenshot(str(ARTIFACTS / "widget-verify-code.png"))
        laptop.find_element(By.CSS_SELECTOR, "[data-testid=verify-code]").send_keys(read_code(fresh_server, token))
        click(laptop, "[data-testid=confirm-code]")
        wait_until(laptop, lambda d: widget_texts(d) == ["换手机后谷歌验证器丢失"])
        # Writing from the laptop continues the same conversation.
        laptop.find_element(By.ID, "text").send_keys("I am on my laptop now")
        laptop.find_element(By.CSS_SELECTOR, "[data-testid=widget-composer] button").click()
        wait_until(phone, lambda d: widget_texts(d) == ["换手机后谷歌验证器丢失", "I am on my laptop now"])
        laptop.save_screenshot(str(ARTIFACTS / "widget-verified-history.png"))
        conversations = requests.get(fresh_server.url + "/api/v1/conversations", headers={"Authorization": f"Bearer {token}"},
                                     timeout=10).json()["items"]
        assert len(conversations) == 1
        for driver in (phone, laptop):
            driver.switch_to.default_content()
            assert console_errors(driver) == []
    finally:
        host.shutdown()
