"""SMTP listener load benchmark: N concurrent senders on loopback against a real `kefu` binary.

Each sender opens one SMTP connection and delivers M mails over it (MAIL, RCPT, DATA), each a
real multipart mail from the fixture corpus with a fresh Message-ID. Measured in one run:
- throughput (mails/s stored and acknowledged with 250) and per-mail latency from MAIL FROM to
  the 250 after DATA (p50/p99): that 250 comes only after the mail is parsed and committed;
- the baseline: SMTP `NOOP` round trips on an open connection to the same listener, from the
  same client in the same run (the protocol's own cost, no storage), so figures compare as
  ratios on a noisy machine.

Usage (release build recommended):
    swift build -c release
    .venv/bin/python Benchmarks/load/smtp_load.py --bin .build/release/kefu --senders 20 --mails 25
"""
import argparse
import json
import smtplib
import sys
import threading
import time

from common import Kefu, LoadError, fixture, free_port, percentile

CORPUS = ["foxmail-gbk.eml", "outlook-gb2312-qp.eml", "apple-mail-utf8.eml", "html-only.eml", "big5.eml"]


def with_message_id(raw, message_id):
    """The fixture with its Message-ID replaced (or added), so every mail is new to Kefu."""
    head, separator, body = raw.partition(b"\r\n\r\n")
    if not separator:
        raise LoadError("a fixture mail has no CRLF blank line after its headers (line endings changed?)")
    lines = [line for line in head.split(b"\r\n") if not line.lower().startswith(b"message-id:")]
    lines.append(b"Message-ID: <" + message_id.encode() + b">")
    return b"\r\n".join(lines) + b"\r\n\r\n" + body


def main(args):
    smtp_port = free_port()
    corpus = [fixture(name) for name in CORPUS]
    for raw in corpus:
        with_message_id(raw, "check@bench.example")  # a fixture it cannot rewrite stops the run here, not in a sender
    with Kefu(args.bin, KEFU_SMTP_LISTEN=f"127.0.0.1:{smtp_port}", KEFU_SUPPORT_ADDRESS="support@kefu.example") as kefu:
        def probe():
            with smtplib.SMTP("127.0.0.1", smtp_port, timeout=2) as connection:
                code, _ = connection.noop()
                if code != 250:
                    raise LoadError(f"NOOP answered {code}")

        kefu.wait_until(probe, "the SMTP listener")

        baseline = []
        with smtplib.SMTP("127.0.0.1", smtp_port, timeout=30) as smtp:
            smtp.ehlo("bench.example")
            for _ in range(args.baseline):
                start = time.perf_counter()
                code, _ = smtp.noop()
                baseline.append(time.perf_counter() - start)
                if code != 250:
                    raise LoadError(f"the baseline NOOP answered {code}, not 250")

        latencies = []
        failures = []
        lock = threading.Lock()

        def sender(number):
            # Every planned mail ends as a latency or a failure: a connection that breaks counts
            # its remaining mails as failed instead of ending the thread unseen.
            index = 0
            try:
                with smtplib.SMTP("127.0.0.1", smtp_port, timeout=60) as smtp:
                    smtp.ehlo(f"sender{number}.example")
                    for index in range(args.mails):
                        raw = with_message_id(corpus[(number + index) % len(corpus)], f"load.{number}.{index}@bench.example")
                        start = time.perf_counter()
                        try:
                            smtp.sendmail(f"customer{number}@bench.example", ["support@kefu.example"], raw)
                        except (smtplib.SMTPResponseException, smtplib.SMTPRecipientsRefused) as error:
                            with lock:
                                failures.append(repr(error))
                            continue
                        with lock:
                            latencies.append(time.perf_counter() - start)
                    index = args.mails
            except (OSError, smtplib.SMTPException) as error:
                with lock:
                    failures.extend([repr(error)] * (args.mails - index))

        threads = [threading.Thread(target=sender, args=(n,)) for n in range(args.senders)]
        start = time.perf_counter()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        elapsed = time.perf_counter() - start
        kefu.check_alive()
        if len(latencies) + len(failures) != args.senders * args.mails:
            raise LoadError(f"{args.senders * args.mails} mails planned, {len(latencies)} stored and {len(failures)} failed")

        result = {
            "senders": args.senders, "mails": args.senders * args.mails, "failures": len(failures),
            "throughput_mails_per_s": round(len(latencies) / elapsed, 1),
            "latency_ms": {"p50": round(percentile(latencies, 0.5) * 1000, 2), "p99": round(percentile(latencies, 0.99) * 1000, 2)},
            "baseline_noop_ms": {"p50": round(percentile(baseline, 0.5) * 1000, 3), "p99": round(percentile(baseline, 0.99) * 1000, 3)},
        }
        result["latency_ratio_p50"] = round(result["latency_ms"]["p50"] / result["baseline_noop_ms"]["p50"], 1)
        if failures:
            result["failure_examples"] = sorted(set(failures))[:5]
        print(json.dumps(result, indent=2))
        if failures:
            sys.exit(f"{len(failures)} of {args.senders * args.mails} mails were not stored")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--bin", default=".build/release/kefu")
    parser.add_argument("--senders", type=int, default=20)
    parser.add_argument("--mails", type=int, default=25)
    parser.add_argument("--baseline", type=int, default=2000)
    main(parser.parse_args())
