"""Does timing tell who has an account? Login and password-reset requests for existing and
unknown emails, interleaved, against a real `kefu` binary on loopback (bcrypt cost 12).

- login: a wrong password for a registered email vs any password for an unknown one; both
  answer 401 invalid_credentials, and both should cost one bcrypt;
- reset: `POST /api/v1/accounts/password-reset` for a registered vs an unknown email; both
  answer 202 at once (the mail is made after the answer).

Each request comes "from" a different address (KEFU_TRUST_PROXY with a fresh X-Forwarded-For)
and registered emails rotate, so the brute-force limits never answer 429 here; what is measured
is the path an attacker probing emails would see. The baseline is GET /healthz in the same run.

Usage (release build):
    swift build -c release
    .venv/bin/python Benchmarks/load/enumeration_timing.py --bin .build/release/kefu --accounts 40 --rounds 60
"""
import argparse
import itertools
import json
import random
import statistics
import time

import requests

from common import Kefu, LoadError, percentile

PASSWORD = "Timing-probe-pass-2026!"


def expect(response, status):
    """Stops the run on an unexpected answer (not an assert: `python -O` would drop it)."""
    if response.status_code != status:
        raise LoadError(f"{response.request.method} {response.request.url} answered {response.status_code}, not {status}: {response.text[:300]}")


def timed(session, method, url, address, **kwargs):
    start = time.perf_counter()
    response = session.request(method, url, headers={"X-Forwarded-For": address}, timeout=30, **kwargs)
    return time.perf_counter() - start, response


def summary(values):
    return {"p50_ms": round(statistics.median(values) * 1000, 3), "p90_ms": round(percentile(values, 0.9) * 1000, 3),
            "mean_ms": round(statistics.fmean(values) * 1000, 3), "n": len(values)}


def main(args):
    addresses = (f"10.{a}.{b}.{c}" for a, b, c in itertools.product(range(1, 250), range(256), range(1, 255)))
    with Kefu(args.bin, KEFU_TRUST_PROXY="true") as kefu:
        base = f"http://127.0.0.1:{kefu.port}"
        session = requests.Session()
        kefu.wait_until(lambda: expect(session.get(base + "/healthz", timeout=1), 200), "GET /healthz")
        known = [f"holder{i}@example.cn" for i in range(args.accounts)]
        for email in known:
            response = session.post(base + "/api/v1/accounts", json={"email": email, "password": PASSWORD},
                                    headers={"X-Forwarded-For": next(addresses)}, timeout=30)
            expect(response, 201)

        baseline = []
        for _ in range(args.rounds):
            elapsed, response = timed(session, "GET", base + "/healthz", next(addresses))
            expect(response, 200)
            baseline.append(elapsed)
        samples = {"login_existing": [], "login_unknown": [], "reset_existing": [], "reset_unknown": []}
        bodies = {key: set() for key in samples}
        rotation = itertools.cycle(known)
        for round_number in range(args.rounds):
            existing, unknown = next(rotation), f"nobody{round_number}-{random.randrange(10**9)}@example.cn"
            # Alternate the order so a warm cache or a GC pause favours neither side.
            pairs = [("existing", existing), ("unknown", unknown)]
            if round_number % 2:
                pairs.reverse()
            for kind, email in pairs:
                elapsed, response = timed(session, "POST", base + "/api/v1/accounts/sessions", next(addresses),
                                          json={"email": email, "password": "not-the-password-1!"})
                expect(response, 401)
                samples[f"login_{kind}"].append(elapsed)
                bodies[f"login_{kind}"].add(response.json()["code"])
            if round_number % 3 == 0:  # three reset requests per account per 15 minutes
                for kind, email in pairs:
                    elapsed, response = timed(session, "POST", base + "/api/v1/accounts/password-reset", next(addresses),
                                              json={"email": email})
                    expect(response, 202)
                    samples[f"reset_{kind}"].append(elapsed)
                    bodies[f"reset_{kind}"].add(response.text)

        result = {"baseline_healthz": summary(baseline), **{key: summary(values) for key, values in samples.items()}}
        for path in ("login", "reset"):
            a, b = result[f"{path}_existing"]["p50_ms"], result[f"{path}_unknown"]["p50_ms"]
            result[f"{path}_p50_difference_ms"] = round(a - b, 3)
            result[f"{path}_identical_bodies"] = bodies[f"{path}_existing"] == bodies[f"{path}_unknown"]
        print(json.dumps(result, indent=2))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bin", required=True)
    parser.add_argument("--accounts", type=int, default=40)
    parser.add_argument("--rounds", type=int, default=60)
    main(parser.parse_args())
