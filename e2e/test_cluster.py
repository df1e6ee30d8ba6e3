"""Three Kefu instances on one PostgreSQL behind nginx (issue 18, docs/deployment.md): the same
guarantees as one instance. Chat between a visitor on one instance and an agent on another,
login throttling that spreading guesses over instances does not get around, `kill -9` of an
instance under chat load (no acknowledged message lost, none twice), background work done once
while an instance dies, and a rolling restart under load."""
import asyncio
import concurrent.futures
import uuid

import pytest
import requests

from chat_socket import ChatSocket
from cluster import Cluster
from conftest import POSTGRES_URL, free_port

pytestmark = pytest.mark.skipif(not POSTGRES_URL, reason="needs KEFU_TEST_POSTGRES_URL")

ADMIN = ("ops@kefu.example", "e2e-cluster-passphrase")


class Direct:
    """One instance addressed directly (its own port), for tests that pick where a client lands."""

    def __init__(self, server):
        self.url = server.url


@pytest.fixture
def cluster():
    # Started together on an empty database: they migrate one after another, and all come up.
    cluster = Cluster(size=3).start()
    cluster.cli("admin", "create", "--email", ADMIN[0], "--name", "Ops Admin", stdin=ADMIN[1] + "\n")
    yield cluster
    cluster.close()


def login(url):
    response = requests.post(url + "/api/v1/auth/login", json={"email": ADMIN[0], "password": ADMIN[1]}, timeout=20)
    assert response.status_code == 200, response.text
    return response.json()["token"]


def webchat(cluster):
    token = login(cluster.url)
    auth = {"Authorization": f"Bearer {token}"}
    inbox = requests.post(cluster.url + "/api/v1/inboxes", json={"name": "App chat", "kind": "webchat"}, headers=auth, timeout=10)
    assert inbox.status_code == 201, inbox.text
    return token, auth, inbox.json()["id"]


def visitor_session(url, inbox, name="黄蕾"):
    session = requests.post(url + "/api/v1/widget/sessions", json={"inboxId": inbox, "name": name}, timeout=10)
    assert session.status_code == 201, session.text
    return session.json()["sessionToken"]


def test_every_instance_answers_through_the_proxy(cluster):
    # Round robin without stickiness: a run of requests meets every instance, and each answers.
    seen = {requests.get(cluster.url + "/healthz", timeout=5).status_code for _ in range(12)}
    assert seen == {200}
    migrations = cluster.cli("migrate").stdout + cluster.cli("migrate").stderr
    assert "applied migration" not in migrations  # the instances applied every one, once


def test_a_visitor_on_one_instance_and_an_agent_on_another(cluster):
    token, auth, inbox = webchat(cluster)
    a, b, c = (Direct(server) for server in cluster.instances)
    visitor_token = visitor_session(a.url, inbox)

    async def chat():
        async with await ChatSocket.visitor(a, visitor_token) as visitor, await ChatSocket.agent(b, token) as agent:
            await visitor.expect("hello")
            await agent.expect("hello")
            sent = []
            for index in range(20):
                await visitor.send({"type": "message", "clientMsgId": f"c-{index}", "text": f"第 {index} 条：提现还在审核"})
                sent.append((await visitor.expect("ack", clientMsgId=f"c-{index}"))["seq"])
            conversation = visitor.received[-1]["conversationId"]
            # The agent's feed on B has every one, once, in order.
            for index in range(20):
                await agent.expect("message", clientMsgId=f"c-{index}")
            seqs = [f["seq"] for f in agent.received if f["type"] == "message" and f.get("conversationId") == conversation]
            assert seqs == sent
            # A reply posted through C reaches the visitor on A.
            reply = requests.post(f"{c.url}/api/v1/conversations/{conversation}/messages", headers=auth,
                                  json={"text": "您好，正在为您查询。"}, timeout=10)
            assert reply.status_code == 201, reply.text
            got = await visitor.expect("message", text="您好，正在为您查询。")
            assert got["seq"] == sent[-1] + 1
            return conversation, got["seq"]

    conversation, last = asyncio.run(chat())

    async def reconnect_elsewhere():
        # The visitor comes back through C with `since`: what came after it is replayed, once.
        async with await ChatSocket.visitor(c, visitor_token, since=last - 1) as visitor:
            hello = await visitor.expect("hello")
            assert (hello["conversationId"], hello["lastSeq"]) == (conversation, last)
            await visitor.expect("message", seq=last)
            assert [f["seq"] for f in visitor.received if f["type"] == "message"] == [last]
    asyncio.run(reconnect_elsewhere())


def test_login_throttling_holds_across_instances(cluster):
    # Wrong passwords for one account, spread over the instances by the proxy and sent in
    # parallel: the account's free attempts are counted once for all of them.
    def guess(_):
        return requests.post(cluster.url + "/api/v1/auth/login", json={"email": ADMIN[0], "password": f"wrong-{uuid.uuid4()}"},
                             timeout=30).status_code

    with concurrent.futures.ThreadPoolExecutor(max_workers=12) as pool:
        statuses = list(pool.map(guess, range(24)))
    assert statuses.count(401) == 5, statuses  # ThrottlePolicy.perAccount: 5 free failures
    assert statuses.count(429) == 19, statuses
    # Directly on each instance too: every one refuses the account now.
    for server in cluster.instances:
        response = requests.post(server.url + "/api/v1/auth/login", json={"email": ADMIN[0], "password": "wrong"}, timeout=30)
        assert response.status_code == 429, (server.url, response.status_code)


class Visitor:
    """A widget that keeps chatting through the proxy: each message is resent under the same
    client id until acknowledged, and a dropped socket is opened again (through the proxy, so on
    whichever instance it lands) with `since`, as the widget does."""

    def __init__(self, cluster, inbox, index):
        self.cluster = cluster
        self.token = visitor_session(cluster.url, inbox, name=f"访客 {index}")
        self.index = index
        self.acked = {}  # client id -> seq
        self.conversation = None
        self.reconnects = 0

    async def run(self, stop):
        count = 0
        while not stop.is_set():
            try:
                async with await ChatSocket.visitor(self.cluster, self.token) as socket:
                    await socket.expect("hello")
                    while not stop.is_set():
                        client_id = f"v{self.index}-{count}"
                        await socket.send({"type": "message", "clientMsgId": client_id, "text": f"访客 {self.index} 第 {count} 条"})
                        ack = await socket.expect("ack", clientMsgId=client_id, timeout=15)
                        self.acked[client_id] = ack["seq"]
                        self.conversation = ack["conversationId"]
                        count += 1
                        await asyncio.sleep(0.05)
            except (AssertionError, OSError, Exception):  # the instance under it died: come back through the proxy
                self.reconnects += 1
                await asyncio.sleep(0.2)


class Feed:
    """An agent's feed on one instance, keeping every message frame."""

    def __init__(self, server, token):
        self.server = Direct(server)
        self.token = token
        self.messages = []
        self.closed = False

    async def run(self, stop):
        try:
            async with await ChatSocket.agent(self.server, self.token) as socket:
                await socket.expect("hello")
                while not stop.is_set():
                    try:
                        frame = await socket.expect("message", timeout=1)
                        self.messages.append(frame)
                    except AssertionError as error:
                        if "closed" in str(error):
                            raise
        except Exception:
            self.closed = True


def stored_messages(cluster, auth, conversation):
    items, since = [], 0
    while True:
        page = requests.get(f"{cluster.url}/api/v1/conversations/{conversation}/messages", params={"since": since, "limit": 500},
                            headers=auth, timeout=30)
        assert page.status_code == 200, page.text
        body = page.json()
        items += body["items"]
        if not body.get("nextCursor"):
            return items
        since = int(body["nextCursor"])


def chat_load(cluster, inbox, token, during, visitors=24, seconds=8.0):
    """Visitors chat through the proxy while `during(loop_time)` runs once, halfway; agent feeds
    listen on every instance. Returns (visitors, feeds)."""
    async def run():
        stop_chat, stop_feeds = asyncio.Event(), asyncio.Event()
        people = [Visitor(cluster, inbox, index) for index in range(visitors)]
        feeds = [Feed(server, token) for server in cluster.instances]
        feed_tasks = [asyncio.create_task(f.run(stop_feeds)) for f in feeds]
        await asyncio.sleep(0.5)
        chat_tasks = [asyncio.create_task(v.run(stop_chat)) for v in people]
        await asyncio.sleep(seconds / 2)
        await asyncio.get_running_loop().run_in_executor(None, during)
        await asyncio.sleep(seconds / 2)
        stop_chat.set()
        await asyncio.wait(chat_tasks, timeout=30)
        # The feeds listen on for the bus's catch-up poll (2 s): a message whose instance died
        # between its commit and its notice reaches the others through it.
        await asyncio.sleep(5)
        stop_feeds.set()
        await asyncio.wait(feed_tasks, timeout=30)
        return people, feeds
    return asyncio.run(run())


def check_nothing_lost_or_twice(cluster, auth, people, feeds, survivors):
    assert sum(len(v.acked) for v in people) > 200, [len(v.acked) for v in people]
    for visitor in people:
        stored = [m for m in stored_messages(cluster, auth, visitor.conversation) if m["direction"] == "incoming"]
        by_client = {}
        for message in stored:
            assert message["clientMessageId"] not in by_client, f"{message['clientMessageId']} stored twice"
            by_client[message["clientMessageId"]] = message["seq"]
        for client_id, seq in visitor.acked.items():
            assert by_client.get(client_id) == seq, f"acknowledged {client_id} (seq {seq}) is not stored as such"
        # Every feed that stayed up saw every message of the conversation once, in order.
        all_seqs = sorted(m["seq"] for m in stored_messages(cluster, auth, visitor.conversation))
        for index in survivors:
            seen = [f["seq"] for f in feeds[index].messages if f.get("conversationId") == visitor.conversation]
            assert seen == all_seqs, f"feed on instance {index}: {len(seen)} of {len(all_seqs)} ({visitor.conversation})"


def test_kill_9_of_an_instance_under_chat_load_loses_and_doubles_nothing(cluster):
    token, auth, inbox = webchat(cluster)
    people, feeds = chat_load(cluster, inbox, token, during=lambda: cluster.kill(1))
    assert feeds[1].closed and not feeds[0].closed and not feeds[2].closed
    assert sum(v.reconnects for v in people) > 0, "no visitor was on the killed instance"
    check_nothing_lost_or_twice(cluster, auth, people, feeds, survivors=[0, 2])


def test_a_rolling_restart_under_chat_load_loses_and_doubles_nothing(cluster):
    token, auth, inbox = webchat(cluster)
    exits = []

    def roll():
        # One instance at a time: SIGTERM (sockets drained, clients told to come back), start again.
        for index in range(len(cluster.instances)):
            exits.append(cluster.restart(index))

    people, feeds = chat_load(cluster, inbox, token, during=roll, seconds=6.0)
    assert exits == [0, 0, 0], cluster.logs()
    assert sum(v.reconnects for v in people) >= len(people), "visitors should each have moved at least once"
    check_nothing_lost_or_twice(cluster, auth, people, feeds, survivors=[])


class SlowRelay:
    """The world's mail server, a little slow (half a second a mail), so that sending is in
    progress on every instance when one is killed. Keeps each mail's Message-ID."""

    def __init__(self):
        from aiosmtpd.controller import Controller
        self.message_ids = []
        self.recipients = []
        self.controller = Controller(self, hostname="127.0.0.1", port=free_port())
        self.controller.start()

    async def handle_DATA(self, server, session, envelope):
        import email
        await asyncio.sleep(0.5)
        self.message_ids.append(email.message_from_bytes(envelope.original_content)["Message-ID"])
        self.recipients += envelope.rcpt_tos
        return "250 OK"


@pytest.fixture
def mail_cluster():
    relay = SlowRelay()
    smtp_ports = [free_port() for _ in range(3)]
    cluster = Cluster(size=3, env={"KEFU_SMTP_RELAY": f"smtp://127.0.0.1:{relay.controller.port}",
                                   "KEFU_SUPPORT_ADDRESS": "support@kefu.example"},
                      instance_env=lambda index: {"KEFU_SMTP_LISTEN": f"127.0.0.1:{smtp_ports[index]}"}).start()
    cluster.smtp_ports = smtp_ports
    cluster.cli("admin", "create", "--email", ADMIN[0], "--name", "Ops Admin", stdin=ADMIN[1] + "\n")
    yield cluster, relay
    cluster.close()
    relay.controller.stop()


def sla_events(cluster, auth, conversation):
    response = requests.get(f"{cluster.url}/api/v1/conversations/{conversation}/sla", headers=auth, timeout=10)
    assert response.status_code == 200, response.text
    return [f"{e['metric']}:{e['kind']}" for e in response.json()["events"]]


def test_outbox_mail_and_due_timers_are_done_once_while_an_instance_dies(mail_cluster):
    import smtplib
    import time
    from email.mime.text import MIMEText
    from conftest import wait_for
    cluster, relay = mail_cluster
    auth = {"Authorization": f"Bearer {login(cluster.url)}"}
    policy = requests.post(cluster.url + "/api/v1/sla/policies", headers=auth, timeout=10,
                           json={"name": "Fast", "match": {"label": "fast"}, "firstResponseSeconds": 3})
    assert policy.status_code == 201, policy.text

    # Twenty-four customers write in, to all three instances' listeners: 24 acknowledgements to send.
    senders = [f"kehu{n}@example.cn" for n in range(24)]
    for n, sender in enumerate(senders):
        message = MIMEText(f"您好，第 {n} 个问题：提现还在审核。", "plain", "utf-8")
        message["Subject"], message["From"], message["To"] = f"提现问题 {n}", sender, "support@kefu.example"
        message["Message-ID"] = f"<q{n}.{uuid.uuid4().hex[:6]}@example.cn>"
        with smtplib.SMTP("127.0.0.1", cluster.smtp_ports[n % 3], timeout=10) as smtp:
            smtp.sendmail(sender, ["support@kefu.example"], message.as_bytes())
    # Their conversations get the three-second response target.
    listed = requests.get(cluster.url + "/api/v1/conversations", params={"limit": 100}, headers=auth, timeout=10).json()["items"]
    conversations = [c["id"] for c in listed]
    assert len(conversations) == 24
    for conversation in conversations:
        response = requests.patch(f"{cluster.url}/api/v1/conversations/{conversation}", json={"labels": ["fast"]}, headers=auth,
                                  timeout=10)
        assert response.status_code == 200, response.text

    # Mail is going out on every instance (half a second each) and the timers come due: kill one.
    time.sleep(1)
    sent_before = len(relay.message_ids)
    cluster.kill(1)

    # Every timer fires once. A timer the dead instance had leased waits for its lease (30 s).
    for conversation in conversations:
        wait_for(lambda: "first_response:breached" in sla_events(cluster, auth, conversation), timeout=60)
    time.sleep(2)
    for conversation in conversations:
        assert sla_events(cluster, auth, conversation).count("first_response:breached") == 1
    # Every customer gets one acknowledgement. Mail is at least once: the one mail the dead
    # instance may have been handing to the relay goes again, with the same Message-ID, once its
    # lease (two minutes) runs out; nothing else goes twice.
    wait_for(lambda: set(senders) <= set(relay.recipients), timeout=150)
    assert sorted(set(relay.recipients) & set(senders)) == sorted(senders)
    twice = {m for m in relay.message_ids if relay.message_ids.count(m) > 1}
    assert len(twice) <= 1, twice
    assert sent_before < len(senders), "all mail was out before the kill: the test proved nothing"


def test_an_agent_works_in_the_console_through_the_proxy(cluster, browser):
    # Every page load and form post may land on another instance: the session, its CSRF token
    # and the live feed hold anyway, and a visitor on one instance sees the reply.
    from selenium.webdriver.common.by import By
    from conftest import click, console_errors, wait_until
    from test_console_login import sign_in, wait_for_path
    token, auth, inbox = webchat(cluster)
    a = Direct(cluster.instances[0])
    visitor_token = visitor_session(a.url, inbox)

    async def first_message():
        async with await ChatSocket.visitor(a, visitor_token) as visitor:
            await visitor.expect("hello")
            await visitor.send({"type": "message", "clientMsgId": "c-1", "text": "我的提现被风控冻结了"})
            return (await visitor.expect("ack", clientMsgId="c-1"))["conversationId"]
    conversation = asyncio.run(first_message())

    sign_in(browser, cluster, *ADMIN)
    wait_for_path(browser, "/console")
    for _ in range(3):  # several pages, several instances
        browser.get(f"{cluster.url}/console/conversations/{conversation}")
        wait_until(browser, lambda d: "我的提现被风控冻结了" in d.find_element(By.CSS_SELECTOR, "[data-testid=messages]").text)

    async def reply_reaches_the_visitor():
        async with await ChatSocket.visitor(a, visitor_token, since=1) as visitor:
            await visitor.expect("hello")
            for text in ["您好，正在核实。", "已为您解除冻结。"]:
                wait_until(browser, lambda d: d.find_element(By.ID, "reply-text").get_attribute("value") == "")
                browser.find_element(By.ID, "reply-text").send_keys(text)
                click(browser, "[data-testid=composer] button[type=submit]")
                await visitor.expect("message", text=text, timeout=15)
    asyncio.run(reply_reaches_the_visitor())
    click(browser, "[data-testid=resolve]")
    wait_until(browser, lambda d: d.find_element(By.CSS_SELECTOR, "[data-testid=status]").text == "Resolved")
    assert console_errors(browser) == []
    stored = requests.get(f"{cluster.url}/api/v1/conversations/{conversation}", headers=auth, timeout=10).json()
    assert stored["status"] == "resolved"


def test_a_frozen_instance_holds_up_nobody_for_long(cluster):
    # SIGSTOP: the kernel still accepts connections for it, so nginx learns only by its read
    # timeout (30 s for plain requests); every request through the proxy is answered, the ones
    # that met the frozen instance after the timeout, by another instance.
    import signal
    import time
    token, auth, inbox = webchat(cluster)
    frozen = cluster.instances[1].process
    frozen.send_signal(signal.SIGSTOP)
    try:
        waits = []
        for _ in range(3):
            started = time.time()
            assert requests.get(cluster.url + "/healthz", timeout=45).status_code == 200
            waits.append(time.time() - started)
        assert max(waits) < 40, waits
        # Chats go on meanwhile on the other instances.
        visitor = visitor_session(cluster.instances[0].url, inbox)

        async def chat():
            async with await ChatSocket.visitor(Direct(cluster.instances[2]), visitor) as socket:
                await socket.expect("hello")
                await socket.send({"type": "message", "clientMsgId": "f-1", "text": "还在吗？"})
                await socket.expect("ack", clientMsgId="f-1", timeout=20)
        asyncio.run(chat())
    finally:
        frozen.send_signal(signal.SIGCONT)
    cluster._wait_healthy(cluster.instances[1])
