"""The help center: the public site in both languages on a phone and a desktop, search that
finds Chinese from two characters and English despite typos, the editor's draft → preview →
publish → history, articles offered in the widget before a chat, an agent inserting an article
link, and the verify page telling an official channel from a lookalike."""
import re
import uuid

import pytest
import requests
from selenium.webdriver.common.by import By

from conftest import ARTIFACTS, DEMO_ADMIN, DEMO_AGENT, click, console_errors, wait_until
from test_console_login import sign_in, wait_for_path
from test_widget_chat import widget_texts

pytestmark = pytest.mark.each_database


def shot(driver, name, width):
    """A full-page screenshot at `width` (phone 390, desktop 1440) for review."""
    driver.set_window_size(width, 900)
    height = driver.execute_script("return document.documentElement.scrollHeight")
    driver.set_window_size(width, min(height + 120, 6000))
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    driver.save_screenshot(str(ARTIFACTS / f"help-{name}-{width}.png"))
    driver.set_window_size(width, 900)


def no_sideways_scroll(driver):
    return driver.execute_script("return document.documentElement.scrollWidth <= window.innerWidth + 1")


def test_public_site_in_both_languages(demo_server, browser_zh, backend):
    driver = browser_zh
    driver.get(demo_server.url + "/help")
    # The Chinese browser gets the Chinese home, with its canonical and hreflang alternates.
    assert driver.find_element(By.TAG_NAME, "html").get_attribute("lang") == "zh-CN"
    assert driver.find_element(By.CSS_SELECTOR, "link[rel=canonical]").get_attribute("href") == demo_server.url + "/help/zh-CN"
    alternates = {e.get_attribute("hreflang"): e.get_attribute("href") for e in driver.find_elements(By.CSS_SELECTOR, "link[rel=alternate]")}
    assert alternates == {"zh-CN": demo_server.url + "/help/zh-CN", "en": demo_server.url + "/help/en", "x-default": demo_server.url + "/help/en"}
    assert len(driver.find_elements(By.CSS_SELECTOR, "[data-testid=help-category]")) == 7
    assert "谨防冒充客服诈骗" in driver.find_element(By.CSS_SELECTOR, "[data-testid=help-announcements]").text
    assert len(driver.find_elements(By.CSS_SELECTOR, "[data-testid=help-popular] li")) == 6
    # The chat widget is on the help center itself.
    assert driver.find_elements(By.CSS_SELECTOR, "iframe[data-kefu-widget]")
    for width in (390, 1440):
        shot(driver, f"home-zh-{backend}", width)
        assert no_sideways_scroll(driver)

    # Search without spaces, from two characters, traditional characters finding simplified ones.
    driver.find_element(By.CSS_SELECTOR, "[data-testid=help-search-input]").send_keys("忘記密碼")
    driver.find_element(By.CSS_SELECTOR, "[data-testid=help-search-submit]").click()
    first = wait_until(driver, lambda d: d.find_elements(By.CSS_SELECTOR, "[data-testid=help-search-result]"))[0]
    assert "忘记密码" in first.text
    assert first.find_elements(By.TAG_NAME, "mark"), "the match is highlighted"
    first.find_element(By.TAG_NAME, "a").click()

    # The article: breadcrumbs, table of contents whose links land on headings, related articles, date.
    wait_until(driver, lambda d: "/help/zh-CN/articles/reset-password" in d.current_url)
    crumbs = driver.find_element(By.CSS_SELECTOR, "[data-testid=help-breadcrumbs]").text
    assert "客服中心" in crumbs and "登录与密码" in crumbs
    targets = [a.get_attribute("href").split("#")[1] for a in driver.find_elements(By.CSS_SELECTOR, "[data-testid=help-toc] a")]
    assert len(targets) >= 2
    for target in targets:
        assert driver.find_elements(By.ID, target), target
    assert driver.find_elements(By.CSS_SELECTOR, "[data-testid=help-related] a")
    assert re.match(r"\d{4}年\d{1,2}月\d{1,2}日", driver.find_element(By.CSS_SELECTOR, "[data-testid=help-updated]").text)
    assert driver.title.startswith("忘记密码怎么办")
    for width in (390, 1440):
        shot(driver, f"article-zh-{backend}", width)
        assert no_sideways_scroll(driver)

    # "Was this helpful?" works without JavaScript and counts one answer per reader.
    driver.find_element(By.NAME, "comment").send_keys("步骤很清楚")
    driver.find_element(By.CSS_SELECTOR, "[data-testid=help-vote-yes]").click()
    wait_until(driver, lambda d: d.find_elements(By.CSS_SELECTOR, "[data-testid=help-vote-thanks]"))
    assert "有帮助" in driver.find_element(By.CSS_SELECTOR, "[data-testid=help-vote-counts]").text

    # The locale switch keeps the article.
    driver.find_element(By.CSS_SELECTOR, "[data-testid=help-locale-switch]").click()
    wait_until(driver, lambda d: d.current_url.endswith("/help/en/articles/reset-password"))
    assert driver.find_element(By.TAG_NAME, "h1").text == "Forgot your password? How to reset it"
    assert driver.find_element(By.TAG_NAME, "html").get_attribute("lang") == "en"
    shot(driver, f"article-en-{backend}", 1440)

    # English: a typo is corrected and said so.
    driver.get(demo_server.url + "/help/en/search?q=authenticater")
    assert "authenticator" in driver.find_element(By.CSS_SELECTOR, "[data-testid=help-did-you-mean]").text
    assert "authenticator" in driver.find_elements(By.CSS_SELECTOR, "[data-testid=help-search-result]")[0].text.lower()
    # A search that finds nothing says so and is recorded for the content team.
    nonsense = "zzqx" + uuid.uuid4().hex[:6]
    driver.get(demo_server.url + f"/help/en/search?q={nonsense}")
    assert driver.find_elements(By.CSS_SELECTOR, "[data-testid=help-search-none]")
    token = demo_server.api_login(*DEMO_ADMIN)
    misses = requests.get(demo_server.url + "/api/v1/help/search-misses", headers={"Authorization": f"Bearer {token}"}, timeout=10).json()["items"]
    assert nonsense in [m["query"] for m in misses]
    shot(driver, f"search-en-{backend}", 390)
    driver.get(demo_server.url + "/help/en/announcements")
    assert len(driver.find_elements(By.CSS_SELECTOR, "[data-testid=help-announcement]")) >= 2
    assert console_errors(driver) == []

    # The sitemap lists every article in both languages with its alternates.
    sitemap = requests.get(demo_server.url + "/sitemap.xml", timeout=10)
    assert sitemap.headers["Content-Type"].startswith("application/xml")
    assert f"<loc>{demo_server.url}/help/zh-CN/articles/reset-password</loc>" in sitemap.text
    assert f"<loc>{demo_server.url}/help/en/feedback</loc>" in sitemap.text
    assert f'hreflang="en" href="{demo_server.url}/help/en/articles/reset-password"' in sitemap.text
    assert "Sitemap:" in requests.get(demo_server.url + "/robots.txt", timeout=10).text


def test_editor_drafts_previews_publishes_and_rolls_back(demo_server, browser, backend):
    driver = browser
    sign_in(driver, demo_server, *DEMO_ADMIN)
    wait_for_path(driver, "/console")
    driver.get(demo_server.url + "/console/help")
    click(driver, "[data-testid=help-new-article]")
    slug = "staking-" + uuid.uuid4().hex[:6]
    driver.find_element(By.CSS_SELECTOR, "[data-testid=help-slug]").send_keys(slug)
    driver.find_element(By.CSS_SELECTOR, "[data-testid=help-title-zh]").send_keys("质押收益说明")
    driver.find_element(By.CSS_SELECTOR, "[data-testid=help-title-en]").send_keys("Staking rewards explained")
    hostile = '\n\n<script>window.__xss = 1</script>\n\n[click me](javascript:window.__xss=2)\n\n<img src=x onerror="window.__xss=3">'
    driver.find_element(By.CSS_SELECTOR, "[data-testid=help-body-zh]").send_keys("## 如何计算\n\n每日按持仓计算质押收益。" + hostile)
    driver.find_element(By.CSS_SELECTOR, "[data-testid=help-body-en]").send_keys("## How it works\n\nStaking rewards accrue daily." + hostile)

    # Preview renders both languages without saving; hostile markup is shown inert.
    click(driver, "[data-testid=help-preview]")
    wait_until(driver, lambda d: "How it works" in d.find_element(By.CSS_SELECTOR, "[data-testid=help-preview-pane]").text)
    pane = driver.find_element(By.CSS_SELECTOR, "[data-testid=help-preview-pane]")
    assert "如何计算" in pane.text
    assert pane.find_elements(By.CSS_SELECTOR, "script, img") == []
    assert driver.execute_script("return window.__xss") is None

    # A draft: saved, not on the site, not found by search.
    click(driver, "[data-testid=help-save]")
    wait_until(driver, lambda d: "Draft" in d.find_element(By.CSS_SELECTOR, "[data-testid=help-article-status]").text)
    editor_url = driver.current_url.split("?")[0]
    assert requests.get(demo_server.url + f"/help/en/articles/{slug}", timeout=10).status_code == 404
    assert requests.get(demo_server.url + "/api/v1/help/search", params={"q": "staking", "locale": "en"}, timeout=10).json()["items"] == []

    # Published: live at once, in search, inert for readers too.
    click(driver, "[data-testid=help-publish]")
    wait_until(driver, lambda d: "Published" in d.find_element(By.CSS_SELECTOR, "[data-testid=help-article-status]").text)
    found = requests.get(demo_server.url + "/api/v1/help/search", params={"q": "质押", "locale": "zh-CN"}, timeout=10).json()["items"]
    assert found[0]["slug"] == slug
    driver.get(demo_server.url + f"/help/en/articles/{slug}")
    body = driver.find_element(By.CSS_SELECTOR, "[data-testid=help-article-body]")
    assert body.find_elements(By.CSS_SELECTOR, "script, img") == []
    assert [a.get_attribute("href") for a in body.find_elements(By.TAG_NAME, "a") if a.get_attribute("href")] == []
    assert driver.execute_script("return window.__xss") is None
    assert "<script>" in body.text

    # A second version is a draft until published; the site keeps the live one.
    driver.get(editor_url)
    title = driver.find_element(By.CSS_SELECTOR, "[data-testid=help-title-en]")
    title.clear()
    title.send_keys("Staking rewards, step by step")
    click(driver, "[data-testid=help-save]")
    wait_until(driver, lambda d: "flash=saved" in d.current_url and d.find_elements(By.CSS_SELECTOR, "[data-testid=help-live-version] .tag"))
    assert "v1" in driver.find_element(By.CSS_SELECTOR, "[data-testid=help-live-version]").text
    assert requests.get(demo_server.url + f"/api/v1/help/articles/{slug}?locale=en", timeout=10).json()["title"] == "Staking rewards explained"
    driver.find_element(By.CSS_SELECTOR, "[data-testid=help-body-en]").send_keys("\n\nRewards are paid on Mondays.")
    click(driver, "[data-testid=help-publish]")
    wait_until(driver, lambda d: requests.get(demo_server.url + f"/api/v1/help/articles/{slug}?locale=en", timeout=10).json()["title"] == "Staking rewards, step by step")
    assert "Mondays" in requests.get(demo_server.url + f"/api/v1/help/articles/{slug}?locale=en", timeout=10).json()["body"]
    wait_until(driver, lambda d: len(d.find_elements(By.CSS_SELECTOR, "[data-testid=help-history] li")) == 3)

    # History: v3 ("save and publish" saved the form first) live; an older version can go live again.
    history = driver.find_elements(By.CSS_SELECTOR, "[data-testid=help-history] li")
    assert len(history) == 3
    assert history[0].find_elements(By.CSS_SELECTOR, "[data-testid=help-version-live]")
    history[-1].find_element(By.CSS_SELECTOR, "[data-testid=help-publish-version]").click()
    wait_until(driver, lambda d: requests.get(demo_server.url + f"/api/v1/help/articles/{slug}?locale=en", timeout=10).json()["version"] == 1)
    assert requests.get(demo_server.url + f"/api/v1/help/articles/{slug}?locale=en", timeout=10).json()["title"] == "Staking rewards explained"

    # Unpublished: gone from the site and from search.
    driver.get(editor_url)
    click(driver, "[data-testid=help-unpublish]")
    wait_until(driver, lambda d: requests.get(demo_server.url + f"/help/en/articles/{slug}", timeout=10).status_code == 404)
    assert requests.get(demo_server.url + "/api/v1/help/search", params={"q": "staking", "locale": "en"}, timeout=10).json()["items"] == []
    shot(driver, f"editor-{backend}", 1440)
    assert console_errors(driver) == []


def test_widget_offers_articles_then_the_chat_goes_on(demo_server, browser_zh, browser):
    customer = browser_zh
    customer.get(demo_server.url + "/help/zh-CN")
    frame = customer.find_element(By.CSS_SELECTOR, "iframe[data-kefu-widget]")
    customer.switch_to.frame(frame)
    customer.find_element(By.CSS_SELECTOR, "[data-testid=launcher]").click()
    customer.find_element(By.NAME, "name").send_keys("刘女士")
    customer.find_element(By.CSS_SELECTOR, "#topic option[value=security]").click()
    customer.find_element(By.CSS_SELECTOR, "[data-testid=prechat] button").click()

    # Typing the first message offers articles; one opens inline.
    customer.find_element(By.ID, "text").send_keys("谷歌验证器丢了")
    suggestion = wait_until(customer, lambda d: [b for b in d.find_elements(By.CSS_SELECTOR, "[data-testid=widget-suggestions] .suggestion") if b.is_displayed()])[0]
    assert "谷歌验证器" in suggestion.text
    suggestion.click()
    article = wait_until(customer, lambda d: d.find_element(By.CSS_SELECTOR, "[data-testid=widget-article]"))
    wait_until(customer, lambda d: article.is_displayed() and "恢复码" in article.text)
    assert article.find_elements(By.CSS_SELECTOR, "script") == []

    # Still needs help: back to the chat, which starts as usual.
    customer.find_element(By.CSS_SELECTOR, "[data-testid=widget-article-back]").click()
    customer.find_element(By.CSS_SELECTOR, "[data-testid=widget-composer] button").click()
    wait_until(customer, lambda d: d.find_elements(By.CSS_SELECTOR, ".message.incoming:not(.pending)"))
    assert widget_texts(customer) == ["谷歌验证器丢了"]
    assert not customer.find_element(By.CSS_SELECTOR, "[data-testid=widget-suggestions]").is_displayed()
    customer.switch_to.default_content()
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    customer.save_screenshot(str(ARTIFACTS / "help-widget-chat.png"))
    assert console_errors(customer) == []

    # The agent sees the chat; the editor sees what became of the offered article.
    sign_in(browser, demo_server, *DEMO_ADMIN)
    wait_for_path(browser, "/console")
    wait_until(browser, lambda d: d.find_elements(By.PARTIAL_LINK_TEXT, "刘女士"))
    browser.get(demo_server.url + "/console/help")
    assert int(browser.find_element(By.CSS_SELECTOR, "[data-testid=deflections-viewed]").text) >= 1
    assert int(browser.find_element(By.CSS_SELECTOR, "[data-testid=deflections-chat]").text) >= 1


def test_agent_inserts_an_article_link_into_a_reply(demo_server, browser):
    sign_in(browser, demo_server, *DEMO_AGENT)
    wait_for_path(browser, "/console")
    browser.find_element(By.CSS_SELECTOR, "[data-testid=conversation-list] li a").click()
    wait_until(browser, lambda d: "/console/conversations/" in d.current_url)
    browser.find_element(By.CSS_SELECTOR, "[data-testid=article-picker] summary").click()
    browser.find_element(By.CSS_SELECTOR, "[data-testid=article-search]").send_keys("防钓鱼码")
    insert = wait_until(browser, lambda d: d.find_elements(By.CSS_SELECTOR, "[data-testid=insert-article-link]"))[0]
    insert.click()
    value = browser.find_element(By.ID, "reply-text").get_attribute("value")
    assert f"{demo_server.url}/help/" in value and "/articles/anti-phishing-code" in value
    browser.find_elements(By.CSS_SELECTOR, "[data-testid=insert-article-excerpt]")[0].click()
    wait_until(browser, lambda d: d.find_element(By.ID, "reply-text").get_attribute("value").count("/articles/anti-phishing-code") == 2)
    click(browser, "[data-testid=composer] button[type=submit]")
    wait_until(browser, lambda d: "/articles/anti-phishing-code" in d.find_elements(By.CSS_SELECTOR, "[data-testid=messages] li")[-1].text)
    assert console_errors(browser) == []


def test_verify_page_tells_official_lookalike_and_unknown(demo_server, browser, backend):
    cases = [
        ("https://t.me/KefuSupportBot", "official"),
        ("@KefuSupportBot_admin", "impersonation"),
        ("support@kefu-example.com", "impersonation"),
        ("https://kefu.example.com.evil.io/login", "impersonation"),
        ("https://example.org", "unknown"),
    ]
    for value, status in cases:
        browser.get(demo_server.url + "/help/verify")
        field = browser.find_element(By.CSS_SELECTOR, "[data-testid=verify-input]")
        field.send_keys(value)
        browser.find_element(By.CSS_SELECTOR, "[data-testid=verify-submit]").click()
        verdict = wait_until(browser, lambda d: d.find_element(By.CSS_SELECTOR, "[data-testid=verify-verdict]"))
        assert verdict.get_attribute("data-status") == status, value
        if status == "impersonation":
            shot(browser, f"verify-lookalike-{backend}", 390)
    assert "kefusupportbot" in browser.find_element(By.CSS_SELECTOR, "[data-testid=verify-officials]").text.lower()
    assert console_errors(browser) == []

    # The API gives the same verdict; every check is counted per value for the console.
    answer = requests.get(demo_server.url + "/api/v1/help/verify", params={"value": "@kefusupp0rtbot"}, timeout=10).json()
    assert answer["status"] == "impersonation" and answer["matches"][0]["official"] == "kefusupportbot"
    token = demo_server.api_login(*DEMO_ADMIN)
    checks = requests.get(demo_server.url + "/api/v1/help/verify-checks", params={"status": "impersonation"},
                          headers={"Authorization": f"Bearer {token}"}, timeout=10).json()["items"]
    assert "telegram:kefusupportbot_admin" in [c["value"] for c in checks]
    sign_in(browser, demo_server, *DEMO_ADMIN)
    wait_for_path(browser, "/console")
    browser.get(demo_server.url + "/console/admin/official-channels")
    assert "kefusupportbot_admin" in browser.find_element(By.CSS_SELECTOR, "[data-testid=official-checks]").text


def test_the_api_contract(fresh_server):
    url = fresh_server.url
    token = fresh_server.api_login("ops@kefu.example", "e2e-admin-passphrase")
    admin = {"Authorization": f"Bearer {token}"}
    body = {"translations": {"zh-CN": {"title": "提币到交易所地址", "body": "## 步骤\n\n复制交易所的充值地址。"},
                             "en": {"title": "Withdraw to an exchange address", "body": "## Steps\n\nCopy the exchange's deposit address."}},
            "publish": True}
    created = requests.post(url + "/api/v1/help/articles", json=body, headers=admin, timeout=10)
    assert created.status_code == 201, created.text
    assert created.json()["slug"] == "withdraw-to-an-exchange-address" and created.json()["id"]
    # Searchable at once, in both languages, with a highlighted snippet.
    found = requests.get(url + "/api/v1/help/search", params={"q": "提币", "locale": "zh-CN"}, timeout=10).json()
    assert found["items"][0] == {"slug": "withdraw-to-an-exchange-address", "title": "提币到交易所地址",
                                 "snippet": found["items"][0]["snippet"], "locale": "zh-CN", "url": "/help/zh-CN/articles/withdraw-to-an-exchange-address"}
    body_match = requests.get(url + "/api/v1/help/search", params={"q": "充值地址", "locale": "zh-CN"}, timeout=10).json()["items"][0]
    assert "<mark>充值地址</mark>" in body_match["snippet"]
    article = requests.get(url + "/api/v1/help/articles/withdraw-to-an-exchange-address", params={"locale": "en"}, timeout=10).json()
    assert article["headings"] == [{"level": 2, "id": "steps", "text": "Steps"}]
    assert requests.get(url + "/help/en/articles/withdraw-to-an-exchange-address", timeout=10).status_code == 200

    # Bad input: a clear problem with a stable code, nothing written.
    def problem(response):
        assert response.headers["Content-Type"].startswith("application/problem+json"), response.text
        return response.json()["code"]
    assert problem(requests.post(url + "/api/v1/help/articles", json={"translations": {"en": body["translations"]["en"]}}, headers=admin, timeout=10)) == "validation_failed"
    assert problem(requests.post(url + "/api/v1/help/articles", json={**body, "translations": {**body["translations"], "fr": {"title": "x", "body": "y"}}}, headers=admin, timeout=10)) == "validation_failed"
    assert problem(requests.post(url + "/api/v1/help/articles", json={**body, "slug": "withdraw-to-an-exchange-address"}, headers=admin, timeout=10)) == "slug_conflict"
    assert problem(requests.get(url + "/api/v1/help/search", params={"q": "x" * 201}, timeout=10)) == "validation_failed"
    assert problem(requests.get(url + "/api/v1/help/search", params={"q": "x", "locale": "fr"}, timeout=10)) == "validation_failed"
    assert problem(requests.get(url + "/api/v1/help/articles/nope", timeout=10)) == "article_not_found"
    assert problem(requests.get(url + "/api/v1/help/verify", timeout=10)) == "validation_failed"

    # The official list: admins add; the verify answer follows; agents may not add.
    added = requests.post(url + "/api/v1/help/official-channels", json={"kind": "x", "value": "https://x.com/KefuWallet"}, headers=admin, timeout=10)
    assert added.status_code == 201 and added.json()["value"] == "kefuwallet"
    assert requests.get(url + "/api/v1/help/verify", params={"value": "@kefuwallet"}, timeout=10).json()["status"] == "official"
    assert requests.get(url + "/api/v1/help/verify", params={"value": "@kefuwallet_support"}, timeout=10).json()["status"] == "impersonation"
    assert problem(requests.post(url + "/api/v1/help/official-channels", json={"kind": "x", "value": "@KefuWallet"}, headers=admin, timeout=10)) == "official_channel_conflict"
    invited = requests.post(url + "/api/v1/agents", json={"email": "writer@kefu.example", "name": "Writer", "role": "agent"}, headers=admin, timeout=10).json()
    agent = {"Authorization": "Bearer " + fresh_server.api_login("writer@kefu.example", invited["oneTimePassword"])}
    changed = requests.post(url + "/api/v1/me/password", json={"currentPassword": invited["oneTimePassword"], "newPassword": "green tea by the west lake"},
                            headers=agent, timeout=10)
    assert changed.status_code < 300, changed.text
    agent = {"Authorization": "Bearer " + fresh_server.api_login("writer@kefu.example", "green tea by the west lake")}
    assert problem(requests.post(url + "/api/v1/help/official-channels", json={"kind": "x", "value": "@other"}, headers=agent, timeout=10)) == "forbidden"
    # Writing articles needs the editor right, which an admin can give.
    assert problem(requests.post(url + "/api/v1/help/articles", json={**body, "slug": "by-agent"}, headers=agent, timeout=10)) == "forbidden"
    requests.patch(url + f"/api/v1/agents/{invited['agent']['id']}", json={"helpEditor": True}, headers=admin, timeout=10).raise_for_status()
    assert requests.post(url + "/api/v1/help/articles", json={**body, "slug": "by-agent"}, headers=agent, timeout=10).status_code == 201
