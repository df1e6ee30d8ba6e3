"""A local stand-in for Telegram's Bot API server, for the end-to-end tests (Telegram's own
servers cannot be reached from here). It follows the documented shapes
(https://core.telegram.org/bots/api): `{base}/bot{token}/{method}` with JSON, form or multipart
parameters, `{"ok": true, "result": …}` answers, `{"ok": false, "error_code", "description",
"parameters": {"retry_after"}}` refusals, `getUpdates` long polling with offsets (and 409 while a
webhook is set), `setWebhook` deliveries with `X-Telegram-Bot-Api-Secret-Token`, and file
downloads at `{base}/file/bot{token}/{file_path}`.

Tests drive it directly: add bots, push updates as a user would cause them, inject failures,
and read what the bot sent.
"""
import email.parser
import email.policy
import itertools
import json
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs

import requests


class Bot:
    def __init__(self, token, bot_id, username):
        self.token = token
        self.user = {"id": bot_id, "is_bot": True, "first_name": username, "username": username}
        self.updates = []          # pending updates (dicts), oldest first
        self.next_update_id = 1000
        self.webhook = None        # {"url", "secret_token", "allowed_updates"}
        self.webhook_history = []  # every setWebhook/deleteWebhook call
        self.sent = []             # every send* call: {"method", "chat_id", "text", "caption", "reply_to", "file"}
        self.failures = []         # [{"method", "code", "description", "retry_after", "count"}]
        self.blocked = set()       # chat ids (str) that blocked the bot
        self.files = {}            # file_id -> (path, bytes)
        self.message_ids = itertools.count(500)
        self.calls = []            # (method, time) of every call, for rate checks
        self.get_updates_offsets = []
        self.callback_answers = [] # every answerCallbackQuery: {"callback_query_id", "text"}


class FakeTelegram:
    def __init__(self, deliver_base=None):
        """`deliver_base` (e.g. http://127.0.0.1:PORT) replaces the scheme and host of webhook
        URLs when updates are pushed, since Kefu's https public URL does not listen here."""
        self.bots = {}
        self.lock = threading.Condition()
        self.deliver_base = deliver_base
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def do_GET(self):
                self.route()

            def do_POST(self):
                self.route()

            def route(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                parts = self.path.split("?", 1)[0].strip("/").split("/")
                if len(parts) >= 4 and parts[0] == "file" and parts[1].startswith("bot"):
                    return self.file(parts[1][3:], "/".join(parts[2:]))
                if len(parts) != 2 or not parts[0].startswith("bot"):
                    return self.answer(404, {"ok": False, "error_code": 404, "description": "Not Found"})
                token, method = parts[0][3:], parts[1]
                params = fake.parse(self.headers.get("Content-Type", ""), body, self.path)
                status, answer = fake.call(token, method, params)
                self.answer(status, answer)

            def file(self, token, path):
                bot = fake.bots.get(token)
                found = bot and next((data for (p, data) in bot.files.values() if p == path), None)
                if found is None:
                    return self.answer(404, {"ok": False, "error_code": 404, "description": "Not Found"})
                self.send_response(200)
                self.send_header("Content-Type", "application/octet-stream")
                self.send_header("Content-Length", str(len(found)))
                self.end_headers()
                self.wfile.write(found)

            def answer(self, status, payload):
                data = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()

    # --- request parsing -------------------------------------------------------------------

    @staticmethod
    def parse(content_type, body, path):
        kind = content_type.split(";")[0].strip().lower()
        if kind == "application/json":
            return json.loads(body or b"{}")
        if kind == "multipart/form-data":
            message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
                b"Content-Type: " + content_type.encode() + b"\r\n\r\n" + body)
            params = {}
            for part in message.iter_parts():
                name = part.get_param("name", header="content-disposition")
                filename = part.get_filename()
                payload = part.get_payload(decode=True)
                if filename is not None:
                    params[name] = {"filename": filename, "content_type": part.get_content_type(), "bytes": payload}
                else:
                    params[name] = payload.decode()
            return params
        query = path.split("?", 1)[1] if "?" in path else ""
        if kind == "application/x-www-form-urlencoded":
            query = body.decode()
        return {k: v[0] for k, v in parse_qs(query).items()}

    # --- the Bot API -----------------------------------------------------------------------

    @staticmethod
    def refuse(code, description, retry_after=None):
        answer = {"ok": False, "error_code": code, "description": description}
        if retry_after is not None:
            answer["parameters"] = {"retry_after": retry_after}
        return code, answer

    def call(self, token, method, params):
        bot = self.bots.get(token)
        if bot is None:
            return self.refuse(401, "Unauthorized")
        with self.lock:
            bot.calls.append((method, time.time()))
            for failure in bot.failures:
                if failure["method"] == method and failure["count"] > 0:
                    failure["count"] -= 1
                    return self.refuse(failure["code"], failure["description"], failure.get("retry_after"))
        handler = getattr(self, "api_" + method, None)
        if handler is None:
            return self.refuse(404, "Not Found: method not found")
        return handler(bot, params)

    def api_getMe(self, bot, params):
        return 200, {"ok": True, "result": bot.user}

    def api_setWebhook(self, bot, params):
        url = params.get("url", "")
        if not url.startswith("https://"):
            return self.refuse(400, "Bad Request: bad webhook: An HTTPS URL must be provided for webhook")
        allowed = params.get("allowed_updates")
        if isinstance(allowed, str):
            allowed = json.loads(allowed)
        with self.lock:
            bot.webhook = {"url": url, "secret_token": params.get("secret_token"), "allowed_updates": allowed}
            bot.webhook_history.append(("set", dict(bot.webhook)))
            self.lock.notify_all()
        threading.Thread(target=self.push_pending, args=(bot,), daemon=True).start()
        return 200, {"ok": True, "result": True, "description": "Webhook was set"}

    def api_deleteWebhook(self, bot, params):
        with self.lock:
            bot.webhook = None
            bot.webhook_history.append(("delete", None))
        return 200, {"ok": True, "result": True, "description": "Webhook was deleted"}

    def api_getUpdates(self, bot, params):
        offset = int(params.get("offset") or 0)
        wait = min(float(params.get("timeout") or 0), 30)
        deadline = time.time() + wait
        with self.lock:
            if bot.webhook:
                return self.refuse(409, "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to delete the webhook first")
            bot.get_updates_offsets.append(offset)
            # An offset confirms every update before it: they are gone for good.
            bot.updates = [u for u in bot.updates if u["update_id"] >= offset]
            while not bot.updates and time.time() < deadline and not bot.webhook:
                self.lock.wait(timeout=max(0.01, deadline - time.time()))
            return 200, {"ok": True, "result": list(bot.updates[:100])}

    def api_getFile(self, bot, params):
        file_id = params.get("file_id")
        if file_id not in bot.files:
            return self.refuse(400, "Bad Request: invalid file_id")
        path, data = bot.files[file_id]
        return 200, {"ok": True, "result": {"file_id": file_id, "file_unique_id": file_id[:8], "file_size": len(data), "file_path": path}}

    def sent_message(self, bot, params, method, file=None):
        chat = str(params.get("chat_id"))
        if chat in bot.blocked:
            return self.refuse(403, "Forbidden: bot was blocked by the user")
        reply = params.get("reply_parameters")
        if isinstance(reply, str):
            reply = json.loads(reply)
        reply_to = (reply or {}).get("message_id") or params.get("reply_to_message_id")
        message_id = next(bot.message_ids)
        markup = params.get("reply_markup")
        if isinstance(markup, str):
            markup = json.loads(markup)
        with self.lock:
            bot.sent.append({"method": method, "chat_id": chat, "text": params.get("text"), "caption": params.get("caption"),
                             "reply_to": int(reply_to) if reply_to else None, "file": file, "message_id": message_id,
                             "reply_markup": markup, "at": time.time()})
            self.lock.notify_all()
        return 200, {"ok": True, "result": {"message_id": message_id, "date": int(time.time()),
                                            "chat": {"id": int(chat) if chat.lstrip("-").isdigit() else 0, "type": "private"}}}

    def api_sendMessage(self, bot, params):
        if not (params.get("text") or "").strip():
            return self.refuse(400, "Bad Request: message text is empty")
        if len(params["text"].encode("utf-16-le")) // 2 > 4096:
            return self.refuse(400, "Bad Request: message is too long")
        return self.sent_message(bot, params, "sendMessage")

    def api_answerCallbackQuery(self, bot, params):
        """https://core.telegram.org/bots/api#answercallbackquery: callback_query_id, optional text (0-200 characters)."""
        query_id = params.get("callback_query_id")
        if not query_id:
            return self.refuse(400, "Bad Request: query is too old and response timeout expired or query ID is invalid")
        text = params.get("text")
        if text is not None and len(text) > 200:
            return self.refuse(400, "Bad Request: text is too long")
        with self.lock:
            bot.callback_answers.append({"callback_query_id": query_id, "text": text})
            self.lock.notify_all()
        return 200, {"ok": True, "result": True}

    def upload(self, bot, params, field, method):
        file = params.get(field)
        if not isinstance(file, dict):
            # Kefu must upload: a URL or file_id here would make Telegram fetch something.
            return self.refuse(400, f"Bad Request: {field} must be uploaded as multipart in this fake")
        return self.sent_message(bot, params, method, file=file)

    def api_sendPhoto(self, bot, params):
        return self.upload(bot, params, "photo", "sendPhoto")

    def api_sendDocument(self, bot, params):
        return self.upload(bot, params, "document", "sendDocument")

    # --- what tests do ---------------------------------------------------------------------

    def add_bot(self, username="kefu_support_bot", bot_id=None):
        bot_id = bot_id or int(time.time() * 1000) % 10_000_000_000
        token = f"{bot_id}:AA{uuid.uuid4().hex}{uuid.uuid4().hex[:8]}"
        self.bots[token] = Bot(token, bot_id, username)
        return token

    def add_file(self, token, data, path):
        file_id = "F" + uuid.uuid4().hex
        self.bots[token].files[file_id] = (path, data)
        return file_id

    def fail(self, token, method, code, description, retry_after=None, count=1):
        with self.lock:
            self.bots[token].failures.append(
                {"method": method, "code": code, "description": description, "retry_after": retry_after, "count": count})

    def push(self, token, update):
        """Queues an update (its id assigned here) for getUpdates, or posts it to the webhook."""
        bot = self.bots[token]
        with self.lock:
            update = dict(update, update_id=bot.next_update_id)
            bot.next_update_id += 1
            bot.updates.append(update)
            self.lock.notify_all()
            webhook = bot.webhook
        if webhook:
            threading.Thread(target=self.push_pending, args=(bot,), daemon=True).start()
        return update["update_id"]

    def push_pending(self, bot):
        """Delivers pending updates to the webhook, each until it is answered 200 (as Telegram
        retries), then forgets it."""
        with self.lock:
            webhook = bot.webhook
            pending = list(bot.updates)
        if not webhook:
            return
        url = webhook["url"]
        if self.deliver_base:
            path = url.split("/", 3)[3]
            url = self.deliver_base.rstrip("/") + "/" + path
        for update in pending:
            for _ in range(50):
                try:
                    response = requests.post(url, json=update, timeout=10,
                                             headers={"X-Telegram-Bot-Api-Secret-Token": webhook["secret_token"] or ""})
                    if response.status_code == 200:
                        break
                except requests.RequestException:
                    pass
                time.sleep(0.2)
            with self.lock:
                bot.updates = [u for u in bot.updates if u["update_id"] != update["update_id"]]

    def wait_sent(self, token, count, timeout=20):
        """Waits until the bot has sent at least `count` messages; returns them all."""
        bot = self.bots[token]
        deadline = time.time() + timeout
        with self.lock:
            while len(bot.sent) < count and time.time() < deadline:
                self.lock.wait(timeout=0.2)
            return list(bot.sent)


_message_ids = itertools.count(1)


def user(user_id=424242, first="Li", last="Wei", language="zh-hans", username=None):
    return {"id": user_id, "is_bot": False, "first_name": first, "last_name": last, "language_code": language,
            **({"username": username} if username else {})}


def private_message(sender, text=None, **extra):
    message = {"message_id": next(_message_ids), "from": sender, "date": int(time.time()),
               "chat": {"id": sender["id"], "type": "private", "first_name": sender["first_name"]}}
    if text is not None:
        message["text"] = text
    message.update(extra)
    return {"message": message}


def button_press(sender, sent, data, query_id=None):
    """A CallbackQuery (https://core.telegram.org/bots/api#callbackquery) for a press on a button
    under `sent` (a message the bot sent, as FakeTelegram recorded it) in the sender's private chat."""
    message = {"message_id": sent["message_id"], "date": int(time.time()), "text": sent.get("text"),
               "chat": {"id": int(sent["chat_id"]), "type": "private", "first_name": sender["first_name"]}}
    return {"callback_query": {"id": query_id or str(next(_message_ids) * 7919), "from": sender, "message": message,
                               "chat_instance": "-42", "data": data}}


def group_message(sender, chat_id, text, entities=None, reply_to=None, title="Wallet community"):
    message = {"message_id": next(_message_ids), "from": sender, "date": int(time.time()),
               "chat": {"id": chat_id, "type": "supergroup", "title": title}, "text": text}
    if entities:
        message["entities"] = entities
    if reply_to:
        message["reply_to_message"] = reply_to
    return {"message": message}
