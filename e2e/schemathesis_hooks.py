"""Schemathesis hooks for the API fuzz test (loaded through SCHEMATHESIS_HOOKS)."""
import datetime
import re
import unicodedata

import schemathesis


@schemathesis.hook
def filter_query(ctx, query):
    # Cursors are opaque tokens the server issued; a made-up one is rightly a 400, not a
    # schema-valid request the server should accept.
    if query and "cursor" in query:
        return False
    # The verify page's value must not be blank (openapi.yaml says so in words).
    value = query.get("value") if isinstance(query, dict) else None
    if isinstance(value, str) and not value.strip():
        return False
    return not report_range_broken(query)


def report_range_broken(query):
    """A report's range (openapi.yaml says it in words): real days, from not after to, at most
    366 days, a known time zone."""
    if not isinstance(query, dict) or not ("from" in query or "to" in query):
        return False
    try:
        start = datetime.date.fromisoformat(str(query.get("from")))
        end = datetime.date.fromisoformat(str(query.get("to")))
    except ValueError:
        return True
    return start > end or (end - start).days >= 366 or ("tz" in query and query["tz"] not in ZONES)


ATEXT = set("abcdefghijklmnopqrstuvwxyz0123456789#$&'*+/=?^_`{|}~-")
LDH = set("abcdefghijklmnopqrstuvwxyz0123456789-")


def plausible_email(value):
    """Kefu's rule for addresses it mails (EmailAddress.isPlausible; openapi.yaml says it in
    words): ASCII, a dot-atom local part without % or !, LDH domain labels, at least two of
    them, the last not all digits. JSON Schema's `format: email` allows more."""
    # As Swift's trimming of whitespace and newlines: not the information separators \x1c-\x1f,
    # which Python's str.strip() also removes.
    value = value.strip("".join(c for c in map(chr, range(0x3001)) if c.isspace() and not "\x1c" <= c <= "\x1f")).lower()
    if len(value.encode()) > 254 or not value.isascii() or value.count("@") != 1:
        return False
    local, domain = value.split("@")
    if not 1 <= len(local) <= 64 or not all(atom and set(atom) <= ATEXT for atom in local.split(".")):
        return False
    labels = domain.split(".")
    if len(labels) < 2 or len(domain) > 253 or labels[-1].isdigit():
        return False
    return all(1 <= len(label) <= 63 and set(label) <= LDH and label[0] != "-" and label[-1] != "-" for label in labels)


def emails_break_the_rule(body):
    email = body.get("email") if isinstance(body, dict) else None
    return isinstance(email, str) and not plausible_email(email)


PUBLIC_URL = re.compile(r"^https?://[a-z][a-z0-9-]{0,62}(\.[a-z0-9-]{1,63})*\.[a-z]{2,63}(:[0-9]{1,5})?(/[\x21-\x7e]*)?$")


def url_breaks_the_rule(url):
    """Webhook and callback URLs: absolute http(s) to a public DNS name (docs/channels.md says the
    rest in words: no credentials, no private, loopback or one-label hosts, no odd numeric forms)."""
    return isinstance(url, str) and not PUBLIC_URL.match(url.strip().lower())


def channel_rules_broken(case):
    body = case.body if isinstance(case.body, dict) else None
    if body is None:
        return False
    path = case.operation.path
    if path.startswith("/api/v1/webhooks") and "url" in body and url_breaks_the_rule(body["url"]):
        return True
    if path == "/api/v1/inboxes":
        # A Telegram inbox needs a real bot (Telegram is not reachable here); a callback is for
        # API inboxes only, and must be a public URL.
        if body.get("kind") == "telegram":
            return True
        if "callbackUrl" in body and (body.get("kind") != "api" or url_breaks_the_rule(body["callbackUrl"])):
            return True
    return False


HANDLE = re.compile(r"^(@|https?://(t\.me|x\.com|twitter\.com)/)?[A-Za-z0-9_]{3,32}$")
HOST = re.compile(r"^(https?://)?[a-z0-9-]{1,63}(\.[a-z0-9-]{1,63})+/?$")
PHONE = re.compile(r"^\+[0-9][0-9 ()-]{6,20}$")


def trust_rules_broken(case):
    """Trust and safety rules JSON Schema cannot state (docs/trust-and-safety.md): the address a
    code is checked with is one Kefu can mail; a report names a handle that is not blank, and its
    screenshot is judged by its bytes (an image), not by a schema."""
    body = case.body if isinstance(case.body, dict) else None
    path = case.operation.path
    if body is None:
        return False
    if path == "/api/v1/help/verify/agent-code" and emails_break_the_rule(body):
        return True
    if path.endswith("/impersonation-reports") and case.method.upper() == "POST":
        handle = body.get("handle")
        if "screenshot" in body or (isinstance(handle, str) and visible(handle) == 0):
            return True
    return False


def help_rules_broken(case):
    """The help center's rules JSON Schema cannot state (docs/help-center.md says them): an
    official channel's value must read as its kind; titles, bodies and names must not be blank;
    a category must exist."""
    body = case.body if isinstance(case.body, dict) else None
    if body is None:
        return False
    path = case.operation.path
    if path == "/api/v1/help/official-channels" and case.method.upper() == "POST":
        value, kind = body.get("value"), body.get("kind")
        if not isinstance(value, str) or not isinstance(kind, str):
            return False
        readable = {"url": HOST, "telegram": HANDLE, "x": HANDLE, "phone": PHONE}
        if kind == "email":
            return not plausible_email(value)
        return kind in readable and not readable[kind].match(value.strip().lower() if kind == "url" else value.strip())
    if path.startswith("/api/v1/help/articles") and case.method.upper() in ("POST", "PATCH"):
        if body.get("category") not in (None, ""):
            return True
        # Only published articles take votes: a draft would send the stateful phase's votes to a
        # 404 (drafts are covered by the e2e editor test).
        if path == "/api/v1/help/articles" and case.method.upper() == "POST" and body.get("publish") is not True:
            return True
        texts = body.get("translations")
        if isinstance(texts, dict) and any(isinstance(t, dict) and any(isinstance(t.get(f), str) and not t[f].strip() for f in ("title", "body")) for t in texts.values()):
            return True
    if path == "/api/v1/help/categories":
        names = body.get("names")
        if isinstance(names, dict) and any(isinstance(n, str) and not n.strip() for n in names.values()):
            return True
    return False


INVISIBLE_LETTERS = {0x115F, 0x1160, 0x3164, 0xFFA0, 0x2800, 0x180E}


def visible(text):
    """How many characters of `text` a reader can see (BoardText.visibleCount): not whitespace,
    not a format or control character, not a filler letter."""
    return sum(1 for c in text if not c.isspace() and unicodedata.category(c) not in ("Cf", "Cc") and ord(c) not in INVISIBLE_LETTERS)


ZONES = {"UTC", "Asia/Shanghai", "Asia/Hong_Kong", "Asia/Taipei", "Asia/Singapore", "Europe/London", "Europe/Berlin", "America/New_York"}


def label_reads(value):
    text = value.strip().lower()
    return 0 < len(text) <= 40 and all(c.isalnum() or c in "-_" for c in text)


def real_day(text):
    try:
        day = datetime.date.fromisoformat(text)
        return day.year >= 1
    except ValueError:
        return False


def sla_rules_broken(case):
    """The response targets' rules JSON Schema cannot state (docs/service-levels.md says them):
    a policy names at least one target and no blank name, its inbox and calendar exist, a label
    reads as a label; a calendar's zone is a known IANA zone, a period does not start and end at
    once, holiday dates are real days; a holiday upload is an iCalendar file."""
    body = case.body if isinstance(case.body, dict) else None
    path, method = case.operation.path, case.method.upper()
    if body is None or method not in ("POST", "PUT", "PATCH"):
        return False
    # Times are RFC 3339 (a format the fuzzer does not check).
    if path == "/api/v1/notifications/read" and isinstance(body.get("upTo"), str):
        try:
            datetime.datetime.fromisoformat(body["upTo"].replace("Z", "+00:00"))
        except ValueError:
            return True
    # Text that is only whitespace (U+0085 and friends too, which JSON Schema's \S lets through) is blank.
    if path.startswith("/api/v1/announcements") and any(isinstance(body.get(k), str) and not body[k].strip() for k in ("titleEn", "titleZh", "bodyEn", "bodyZh")):
        return True
    # A board post's title has 4 characters a reader can see, its body and an answer one
    # (docs/feedback-board.md; what the fuzzer cannot count).
    if path.endswith("/feedback-post") and isinstance(body.get("title"), str) and visible(body["title"]) < 4:
        return True
    if path.endswith("/feedback-post") and isinstance(body.get("body"), str) and visible(body["body"]) == 0:
        return True
    if path.endswith("/answers") and isinstance(body.get("body"), str) and visible(body["body"]) == 0:
        return True
    if path.startswith("/api/v1/sla/policies"):
        if isinstance(body.get("name"), str) and not body["name"].strip():
            return True
        if all(body.get(k) is None for k in ("firstResponseSeconds", "nextResponseSeconds", "resolutionSeconds")):
            return True
        match = body.get("match")
        if body.get("calendarId") is not None:
            return True
        if isinstance(match, dict):
            if match.get("inboxId") is not None:
                return True
            if isinstance(match.get("label"), str) and not label_reads(match["label"]):
                return True
    if path == "/api/v1/sla/calendars/holiday-preview":
        ics = body.get("ics")
        return isinstance(ics, str) and not (ics.lstrip("\ufeff").startswith("BEGIN:VCALENDAR") and "END:VCALENDAR" in ics)
    if path.startswith("/api/v1/sla/calendars"):
        if isinstance(body.get("name"), str) and not body["name"].strip():
            return True
        if isinstance(body.get("timeZone"), str) and body["timeZone"] not in ZONES:
            return True
        periods = body.get("periods")
        if isinstance(periods, list) and any(isinstance(p, dict) and p.get("start") == p.get("end") for p in periods):
            return True
        holidays = body.get("holidays")
        if isinstance(holidays, list) and any(isinstance(h, dict) and isinstance(h.get("date"), str) and not real_day(h["date"]) for h in holidays):
            return True
    return False


@schemathesis.hook
def filter_case(ctx, case):
    # A pre-chat form has two rules JSON Schema cannot state (openapi.yaml says them in words):
    # topic keys are unique, and asking for a topic needs at least one. Cases breaking them are
    # rightly refused, so they are not "valid data the server should accept". (A case hook, not
    # a body hook: it applies in every phase, the coverage phase included.)
    body = case.body
    # Rules of the channels JSON Schema cannot state (openapi.yaml and docs/channels.md say them).
    if channel_rules_broken(case):
        return False
    if help_rules_broken(case):
        return False
    if trust_rules_broken(case):
        return False
    if sla_rules_broken(case):
        return False
    if case.operation.path.startswith("/api/v1/reports/") and report_range_broken(case.query):
        return False
    # An address Kefu would not mail is rightly refused (validation_failed on `email`).
    if emails_break_the_rule(body):
        return False
    form = body.get("prechatForm") if isinstance(body, dict) else None
    if not isinstance(form, dict):
        return True
    topics = form.get("topics")
    if not isinstance(topics, list):
        return True
    keys = [repr(topic.get("key")) for topic in topics if isinstance(topic, dict)]  # negative cases send lists
    if len(keys) != len(set(keys)):
        return False
    return not (form.get("topic") in ("optional", "required") and not topics)
