#!/usr/bin/env python3
"""A local SMTP sink for Weft's mail tests (aiosmtpd from PyPI).

Accepts every message and writes it, as received, to DIR/<n>.eml, and beside it DIR/<n>.json:
the envelope recipients, the headers, and the decoded text and HTML parts as Python's
`email` package reads them (an independent MIME parser). Files are written under a
temporary name, then renamed, so a reader never sees half a message. A recipient whose
address starts with `refuse` is refused for good (550), as a real server refuses an
unknown mailbox. Runs until stopped.

    python3 tests/smtp_sink.py --port 2525 --dir /tmp/weft-mail
"""

import argparse
import email
import email.policy
import itertools
import json
import os
import signal
import threading
import time

from aiosmtpd.controller import Controller


class Sink:
    def __init__(self, directory):
        self.directory = directory
        self.counter = itertools.count()
        self.lock = threading.Lock()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.lower().startswith("refuse"):
            return "550 5.1.1 No such mailbox here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        with self.lock:
            n = next(self.counter)
        name = f"{time.time_ns()}-{os.getpid()}-{n}"
        tmp = os.path.join(self.directory, name + ".tmp")
        with open(tmp, "wb") as f:
            f.write(b"X-Envelope-To: " + ", ".join(envelope.rcpt_tos).encode() + b"\r\n")
            f.write(envelope.original_content or envelope.content)
        os.rename(tmp, os.path.join(self.directory, name + ".eml"))
        raw = envelope.original_content or envelope.content
        message = email.message_from_bytes(raw, policy=email.policy.default)
        parts = {}
        for part in message.walk():
            if part.get_content_maintype() == "text":
                parts.setdefault(part.get_content_subtype(), part.get_content())
        data = {
            "rcpt": envelope.rcpt_tos,
            "headers": {k.lower(): str(v) for k, v in message.items()},
            "multipart": message.get_content_type(),
            "text": parts.get("plain"),
            "html": parts.get("html"),
        }
        with open(tmp, "w") as f:
            json.dump(data, f)
        os.rename(tmp, os.path.join(self.directory, name + ".json"))
        return "250 Message accepted for delivery"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--dir", required=True)
    args = parser.parse_args()
    os.makedirs(args.dir, exist_ok=True)
    controller = Controller(Sink(args.dir), hostname=args.host, port=args.port)
    controller.start()
    print(f"smtp sink on {args.host}:{args.port} writing to {args.dir}", flush=True)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    stop.wait()
    controller.stop()


if __name__ == "__main__":
    main()
