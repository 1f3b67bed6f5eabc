#!/usr/bin/env python3
"""A misbehaving blob server for the tests of skiff's registry client, with
the standard library only.

    flaky-blobs.py --blobs DIR --port-file FILE --log FILE [options]

It listens on 127.0.0.1 on two ports the kernel picks, and writes "MAIN
STORAGE" to --port-file once both accept connections. MAIN answers GET /v2/
and GET /v2/<repo>/blobs/sha256:<hex> with DIR/<hex>, honouring "Range:
bytes=K-" (206); STORAGE serves GET /storage/<hex>, what a redirect to blob
storage elsewhere leads to. Options make it misbehave:

  --fail N          the first N blob GETs answer 503 (with a registry error body)
  --status S        the status those N answers have (default 503)
  --cut-once        the first GET of each blob sends its length, half of the
                    bytes, and closes the connection
  --redirect        blob GETs on MAIN answer 307 to STORAGE/storage/<hex>
  --basic USER:PASS MAIN wants these basic credentials (401 Basic otherwise)
  --wrong HEX       the blob HEX is served with its first byte changed
  --ignore-range    Range headers are ignored (200 and the whole blob)
  --delay SECONDS   each blob answer waits that long before its body
  --hold N          each blob answer waits until N blob GETs are in flight
                    (at most 10 s): a client that overlaps its transfers
                    shows it whatever the machine's load
  --gate HEX FILE   the answer for blob HEX waits until FILE exists (at
                    most 60 s): what the client does meanwhile can be seen
  --manifest FILE   GET /v2/<repo>/manifests/<any ref> answers FILE (its media
                    type its "mediaType"), with a Docker-Content-Digest of
  --manifest-digest D  (default: the file's own)

Every request is logged to --log as one line: "PORTNAME METHOD PATH
range=<Range header or -> auth=<yes|no> concurrent=<blob GETs in flight>";
with --hold, each answer's release too: "PORTNAME held HEX in_flight=N".
The value of an Authorization header is never logged.
"""

import argparse
import base64
import hashlib
import json
import os
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

args = None
lock = threading.Lock()
arrived = threading.Condition(lock)
state = {"failed": 0, "cut": set(), "in_flight": 0}
ports = {}


def log(line):
    with lock:
        with open(args.log, "a") as f:
            f.write(line + "\n")


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *a):
        pass

    def reply(self, status, body=b"", headers=()):
        self.send_response(status)
        for k, v in headers:
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def error(self, status, code, message, headers=()):
        body = json.dumps({"errors": [{"code": code, "message": message}]}).encode()
        self.reply(status, body, [("Content-Type", "application/json")] + list(headers))

    def do_GET(self):
        name = self.server.name
        with lock:
            concurrent = state["in_flight"]
        log("%s %s %s range=%s auth=%s concurrent=%d" % (
            name, self.command, self.path, self.headers.get("Range", "-"),
            "yes" if self.headers.get("Authorization") else "no", concurrent))
        if name == "main" and args.basic:
            want = "Basic " + base64.b64encode(args.basic.encode()).decode()
            if self.headers.get("Authorization") != want:
                return self.error(401, "UNAUTHORIZED", "authentication required",
                                  [("WWW-Authenticate", 'Basic realm="flaky"')])
        path = self.path.split("?")[0]
        if name == "main" and path == "/v2/":
            return self.reply(200, b"{}", [("Content-Type", "application/json")])
        if name == "main" and args.manifest and "/manifests/" in path:
            with open(args.manifest, "rb") as f:
                body = f.read()
            digest = args.manifest_digest or "sha256:" + hashlib.sha256(body).hexdigest()
            return self.reply(200, body, [("Content-Type", json.loads(body)["mediaType"]),
                                          ("Docker-Content-Digest", digest)])
        hexd = None
        if name == "main" and "/blobs/sha256:" in path and path.startswith("/v2/"):
            hexd = path.rsplit("sha256:", 1)[1]
        elif name == "storage" and path.startswith("/storage/"):
            hexd = path[len("/storage/"):]
        if hexd is None or not all(c in "0123456789abcdef" for c in hexd) or len(hexd) != 64:
            return self.error(404, "NOT_FOUND", "not found")
        if name == "main" and args.redirect:
            return self.reply(307, b"", [("Location", "http://127.0.0.1:%d/storage/%s?signed=yes" % (ports["storage"], hexd))])
        with lock:
            if state["failed"] < args.fail:
                state["failed"] += 1
                fail = True
            else:
                fail = False
        if fail:
            return self.error(args.status, "UNAVAILABLE", "try again later")
        try:
            with open(os.path.join(args.blobs, hexd), "rb") as f:
                data = f.read()
        except FileNotFoundError:
            return self.error(404, "BLOB_UNKNOWN", "blob unknown to registry")
        if hexd == args.wrong:
            data = bytes([data[0] ^ 0xff]) + data[1:]
        if args.gate and hexd == args.gate[0]:
            for _ in range(600):
                if os.path.exists(args.gate[1]):
                    break
                time.sleep(0.1)
        with lock:
            state["in_flight"] += 1
            arrived.notify_all()
            if args.hold:
                arrived.wait_for(lambda: state["in_flight"] >= args.hold, timeout=10)
                held = state["in_flight"]
        if args.hold:
            # counted once the answer was held, not on arrival: two GETs that
            # arrive together both see none in flight then
            log("%s held %s in_flight=%d" % (name, hexd, held))
        try:
            self.send_blob(hexd, data)
        finally:
            with lock:
                state["in_flight"] -= 1

    def send_blob(self, hexd, data):
        start = 0
        rng = self.headers.get("Range")
        if rng and not args.ignore_range:
            if not rng.startswith("bytes=") or not rng.endswith("-"):
                return self.error(416, "RANGE_INVALID", "only bytes=K- ranges")
            start = int(rng[len("bytes="):-1])
            if start >= len(data):
                return self.error(416, "RANGE_INVALID", "past the end")
        if args.delay:
            time.sleep(args.delay)
        body = data[start:]
        with lock:
            cut = args.cut_once and hexd not in state["cut"]
            state["cut"].add(hexd)
        self.send_response(206 if start else 200)
        self.send_header("Content-Type", "application/octet-stream")
        self.send_header("Content-Length", str(len(body)))
        if start:
            self.send_header("Content-Range", "bytes %d-%d/%d" % (start, len(data) - 1, len(data)))
        self.end_headers()
        if cut:
            self.wfile.write(body[:len(body) // 2])
            self.wfile.flush()
            self.close_connection = True
            return
        self.wfile.write(body)


def serve(name):
    srv = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    srv.daemon_threads = True
    srv.name = name
    ports[name] = srv.server_address[1]
    return srv


def main():
    global args
    p = argparse.ArgumentParser()
    p.add_argument("--blobs", required=True)
    p.add_argument("--port-file", required=True)
    p.add_argument("--log", required=True)
    p.add_argument("--fail", type=int, default=0)
    p.add_argument("--status", type=int, default=503)
    p.add_argument("--cut-once", action="store_true")
    p.add_argument("--redirect", action="store_true")
    p.add_argument("--basic")
    p.add_argument("--wrong")
    p.add_argument("--ignore-range", action="store_true")
    p.add_argument("--delay", type=float, default=0)
    p.add_argument("--hold", type=int, default=0)
    p.add_argument("--gate", nargs=2)
    p.add_argument("--manifest")
    p.add_argument("--manifest-digest")
    args = p.parse_args()
    main_srv, storage = serve("main"), serve("storage")
    threading.Thread(target=storage.serve_forever, daemon=True).start()
    tmp = args.port_file + ".tmp"
    with open(tmp, "w") as f:
        f.write("%d %d\n" % (ports["main"], ports["storage"]))
    os.rename(tmp, args.port_file)
    try:
        main_srv.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    sys.exit(main())
