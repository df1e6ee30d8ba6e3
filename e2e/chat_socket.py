"""A chat WebSocket (the visitor's widget socket or the agents' feed) as a test drives it: send a
frame, then wait for the frame the protocol promises. Waiting has a deadline: a frame that never
comes fails the test with what did come, instead of hanging the suite."""
import asyncio
import json

import websockets
import websockets.asyncio.client

DEFAULT_TIMEOUT = 10


class connect(websockets.asyncio.client.connect):
    """`websockets.connect` that follows no redirect, like a browser's WebSocket: a handshake
    answered with a redirect (hummingbird-websocket's 307 for an upgrade on a reused connection,
    which a keep-alive proxy can cause) fails the test instead of being retried unnoticed."""

    def process_redirect(self, exc):
        return exc


class ChatSocket:
    """One open socket and every frame it has received, in order."""

    def __init__(self, socket, name):
        self.socket = socket
        self.name = name
        self.received = []

    @classmethod
    async def visitor(cls, server, session_token, since=None):
        """The widget's socket for a visitor's session (docs/widget-protocol.md, section 2)."""
        query = f"token={session_token}" + (f"&since={since}" if since is not None else "")
        return cls(await connect(f"{server.url.replace('http://', 'ws://')}/api/v1/widget/ws?{query}"), "visitor")

    @classmethod
    async def agent(cls, server, bearer_token):
        """The agents' feed for an API client (section 6)."""
        socket = await connect(f"{server.url.replace('http://', 'ws://')}/api/v1/agent/ws",
                                          additional_headers={"Authorization": f"Bearer {bearer_token}"})
        return cls(socket, "agent")

    async def __aenter__(self):
        return self

    async def __aexit__(self, *exc):
        await self.socket.close()

    async def send(self, frame):
        # As a browser's JSON.stringify: non-ASCII as UTF-8, not \u escapes (six bytes a character).
        await self.socket.send(json.dumps(frame, ensure_ascii=False))

    async def expect(self, frame_type, timeout=DEFAULT_TIMEOUT, **fields):
        """The next frame of `frame_type` whose `fields` have the given values (frames before it
        are kept in `received` and skipped). Fails when none arrives within `timeout` seconds or
        the socket closes first, listing what was received."""
        wanted = {"type": frame_type, **fields}
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            remaining = deadline - loop.time()
            try:
                if remaining <= 0:
                    raise TimeoutError
                raw = await asyncio.wait_for(self.socket.recv(), remaining)
            except TimeoutError:
                raise AssertionError(f"{self.name} socket: no frame {wanted} within {timeout} s; received {self.received}") from None
            except websockets.ConnectionClosed as closed:
                raise AssertionError(f"{self.name} socket closed ({closed}) before a frame {wanted}; received {self.received}") from None
            frame = json.loads(raw)
            self.received.append(frame)
            if all(frame.get(key) == value for key, value in wanted.items()):
                return frame
