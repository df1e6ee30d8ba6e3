"""The widget's socket and the agents' feed spoken by a plain WebSocket client, as an in-app chat
would (docs/widget-protocol.md): acknowledged once stored, exactly once on a resend, agent replies
live, private notes never sent, a reconnect replays what came after `since`. And the test helper
itself: a frame that never comes fails the test in time, saying what did come."""
import asyncio
import time

import pytest
import requests

from chat_socket import ChatSocket

pytestmark = pytest.mark.each_database

ADMIN = ("ops@kefu.example", "e2e-admin-passphrase")


def chat_session(server):
    token = server.api_login(*ADMIN)
    auth = {"Authorization": f"Bearer {token}"}
    inbox = requests.post(server.url + "/api/v1/inboxes", json={"name": "App chat", "kind": "webchat"}, headers=auth, timeout=10).json()
    session = requests.post(server.url + "/api/v1/widget/sessions", json={"inboxId": inbox["id"], "name": "黄蕾"}, timeout=10)
    assert session.status_code == 201, session.text
    return token, auth, session.json()["sessionToken"]


def test_a_chat_over_the_sockets(fresh_server):
    server = fresh_server
    token, auth, visitor_token = chat_session(server)

    def post(conversation, text, private=False):
        response = requests.post(f"{server.url}/api/v1/conversations/{conversation}/messages", headers=auth,
                                 json={"text": text, "private": private}, timeout=10)
        assert response.status_code == 201, response.text

    async def chat():
        async with await ChatSocket.visitor(server, visitor_token) as visitor, await ChatSocket.agent(server, token) as agent:
            assert (await visitor.expect("hello")).get("conversationId") is None  # absent before the first message
            await agent.expect("hello")
            await visitor.send({"type": "message", "clientMsgId": "c-1", "text": "我的充值还没到账"})
            ack = await visitor.expect("ack", clientMsgId="c-1")
            seen = await agent.expect("message", clientMsgId="c-1")
            assert (seen["text"], seen["direction"], seen["seq"]) == ("我的充值还没到账", "incoming", ack["seq"])
            conversation = ack["conversationId"]

            # A resend (say the ack was lost) is the same message, stored once.
            await visitor.send({"type": "message", "clientMsgId": "c-1", "text": "我的充值还没到账"})
            again = await visitor.expect("ack", clientMsgId="c-1")
            assert (again["id"], again["seq"]) == (ack["id"], ack["seq"])

            # A note then a reply: the reply arrives, and the note, written before it, never did.
            post(conversation, "Checked the chain: 2 confirmations left.", private=True)
            await agent.expect("message", text="Checked the chain: 2 confirmations left.")
            post(conversation, "您好，还需要 2 个区块确认。")
            reply = await visitor.expect("message", text="您好，还需要 2 个区块确认。")
            assert reply["direction"] == "outgoing" and reply["seq"] > ack["seq"]
            assert all("confirmations left" not in str(frame) for frame in visitor.received)
        return conversation, ack, reply

    conversation, ack, reply = asyncio.run(chat())

    async def come_back():
        # Reconnecting after the first message: the reply is replayed, nothing before `since` is.
        async with await ChatSocket.visitor(server, visitor_token, since=ack["seq"]) as visitor:
            hello = await visitor.expect("hello")
            assert (hello["conversationId"], hello["lastSeq"]) == (conversation, reply["seq"])
            replayed = await visitor.expect("message", id=reply["id"])
            assert [f for f in visitor.received if f["type"] == "message"] == [replayed]
    asyncio.run(come_back())

    stored = requests.get(f"{server.url}/api/v1/conversations/{conversation}/messages", headers=auth, timeout=10).json()["items"]
    assert [m["text"] for m in stored if m["direction"] == "incoming"] == ["我的充值还没到账"]


def test_a_missing_frame_fails_in_time_with_what_came(fresh_server):
    server = fresh_server
    _, _, visitor_token = chat_session(server)

    async def wait_for_what_never_comes():
        async with await ChatSocket.visitor(server, visitor_token) as visitor:
            started = time.monotonic()
            with pytest.raises(AssertionError) as failure:
                await visitor.expect("message", timeout=2, text="nobody wrote this")
            return time.monotonic() - started, str(failure.value)

    waited, message = asyncio.run(wait_for_what_never_comes())
    assert 2 <= waited < 5
    assert "no frame {'type': 'message', 'text': 'nobody wrote this'} within 2 s" in message
    assert "'type': 'hello'" in message  # what did come is in the failure


def test_a_long_message_fits_one_frame(fresh_server):
    """Browsers send a message as one frame: 20,000 characters (the widget's limit) must fit, in
    Chinese too (60,000 bytes); the WebSocket library's default of 16 KiB closed the socket."""
    server = fresh_server
    _, _, visitor_token = chat_session(server)

    async def chat():
        async with await ChatSocket.visitor(server, visitor_token) as visitor:
            await visitor.expect("hello")
            for index, text in enumerate(["a" * 17_000, "提" * 20_000]):
                await visitor.send({"type": "message", "clientMsgId": f"long-{index}", "text": text})
                ack = await visitor.expect("ack", clientMsgId=f"long-{index}")
                assert ack["seq"] == index + 1
    asyncio.run(chat())
