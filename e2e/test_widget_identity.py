"""A signed-in wallet customer opens the chat widget on the wallet's own page (another origin,
strict CSP): the wallet's backend vouches for them with a token from Kefu, the widget shows their
anti-phishing code, and the chat lands on their account for the agent. Signing out of the wallet
makes the widget forget them."""
import pytest
import requests
from selenium.webdriver.common.by import By

from conftest import ARTIFACTS, click, serve_host_page, wait_until

pytestmark = pytest.mark.each_database

CUSTOMER = ("zhou.min@example.cn", "钱包密码-Widget-2026!")


def serve_wallet_page(kefu, inbox, account_token):
    """The wallet's page: its backend asks Kefu for a fresh identity token on every render."""
    def body():
        identity = requests.post(kefu.url + "/api/v1/accounts/me/widget-identity",
                                 headers={"Authorization": f"Bearer {account_token}"}, timeout=10).json()["token"]
        return (f'<h1>My Wallet</h1><script src="{kefu.url}/widget.js" data-inbox="{inbox}" data-identity="{identity}" async></script>')
    return serve_host_page(kefu.url, body)


def test_the_widget_shows_a_signed_in_customers_anti_phishing_code(fresh_server, browser_zh):
    kefu = fresh_server
    admin = {"Authorization": f"Bearer {kefu.api_login('ops@kefu.example', 'e2e-admin-passphrase')}"}
    inbox = requests.post(kefu.url + "/api/v1/inboxes", json={"name": "App chat", "kind": "webchat"}, headers=admin).json()["id"]
    address, password = CUSTOMER
    assert requests.post(kefu.url + "/api/v1/accounts", json={"email": address, "password": password}).status_code == 201
    token = requests.post(kefu.url + "/api/v1/accounts/sessions", json={"email": address, "password": password}).json()["token"]
    account = {"Authorization": f"Bearer {token}"}
    assert requests.put(kefu.url + "/api/v1/accounts/me/anti-phishing-code", json={"code": "蓝色海豚"}, headers=account).status_code == 200
    wallet = serve_wallet_page(kefu, inbox, token)
    try:
        driver = browser_zh
        driver.get(f"http://127.0.0.1:{wallet.server_address[1]}/")
        driver.switch_to.frame(driver.find_element(By.CSS_SELECTOR, "iframe[data-kefu-widget]"))
        click(driver, "[data-testid=launcher]")
        badge = wait_until(driver, lambda d: d.find_element(By.CSS_SELECTOR, "[data-testid=widget-anti-phishing]")
                           if d.find_element(By.CSS_SELECTOR, "[data-testid=widget-anti-phishing]").is_displayed() else None)
        assert "蓝色海豚" in badge.text and "防钓鱼码" in badge.text
        driver.switch_to.default_content()
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        driver.save_screenshot(str(ARTIFACTS / "widget-anti-phishing.png"))
        driver.switch_to.frame(driver.find_element(By.CSS_SELECTOR, "iframe[data-kefu-widget]"))

        # The chat belongs to the account: the agent sees it beside the conversation.
        click(driver, "[data-testid=prechat] button[type=submit]")
        text = wait_until(driver, lambda d: d.find_element(By.ID, "text") if d.find_element(By.ID, "text").is_displayed() else None)
        text.send_keys("我的提现为什么被暂停了？")
        click(driver, "[data-testid=widget-composer] button[type=submit]")
        conversations = wait_until(driver, lambda d: requests.get(kefu.url + "/api/v1/conversations", headers=admin).json()["items"] or None)
        contact = conversations[0]["contactId"]
        me = requests.get(kefu.url + "/api/v1/accounts/me", headers=account).json()
        assert contact == me["contactId"]

        # Signed out of the wallet: the page tells the widget, which forgets the customer.
        driver.switch_to.default_content()
        driver.execute_script("window.KefuWidget.reset()")
        driver.switch_to.frame(driver.find_element(By.CSS_SELECTOR, "iframe[data-kefu-widget]"))
        wait_until(driver, lambda d: not d.find_element(By.CSS_SELECTOR, "[data-testid=widget-anti-phishing]").is_displayed())
        assert driver.find_element(By.CSS_SELECTOR, "[data-testid=prechat]").is_displayed()
        assert driver.execute_script("return localStorage.length") == 0
    finally:
        wallet.shutdown()
