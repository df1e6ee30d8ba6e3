"""Schemathesis hooks for the API fuzz test (loaded through SCHEMATHESIS_HOOKS)."""
import schemathesis


@schemathesis.hook
def filter_query(ctx, query):
    # Cursors are opaque tokens the server issued; a made-up one is rightly a 400, not a
    # schema-valid request the server should accept.
    return not query or "cursor" not in query


@schemathesis.hook
def filter_case(ctx, case):
    # A pre-chat form has two rules JSON Schema cannot state (openapi.yaml says them in words):
    # topic keys are unique, and asking for a topic needs at least one. Cases breaking them are
    # rightly refused, so they are not "valid data the server should accept". (A case hook, not
    # a body hook: it applies in every phase, the coverage phase included.)
    body = case.body
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
