#!/usr/bin/env python3
"""A token server for a registry with `auth: token` (the distribution token
protocol), for the tests only, with the standard library and openssl(1).

    token-server.py --key KEY.pem --cert CERT.pem --users FILE --port-file FILE
                    [--issuer NAME] [--service NAME] [--public-repo NAME]

It listens on 127.0.0.1 on a port the kernel picks, and writes that port to
--port-file once it accepts connections. GET /token?service=S&scope=... with
basic credentials of a user of --users (lines "user:password") gets a JWT
(RS256, signed by `openssl dgst -sha256 -sign KEY`, the certificate of the key
in its x5c header) whose `access` claim grants every action asked in each
`scope` parameter (repository:NAME:ACTIONS or registry:catalog:*). Without
credentials, only pull on the repository --public-repo is granted (and
nothing else); wrong credentials or another service get 401. Every request
is logged on stderr.
"""

import argparse
import base64
import binascii
import json
import os
import secrets
import subprocess
import sys
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def parse_scope(scope):
    """repository:name:pull,push -> (type, name, [actions]); the name may hold
    colons (a port), the actions are after the last one"""
    kind, _, rest = scope.partition(":")
    name, _, actions = rest.rpartition(":")
    if not kind or not name:
        return None
    return kind, name, [a for a in actions.split(",") if a]


class Issuer:
    def __init__(self, args):
        self.args = args
        der = subprocess.run(["openssl", "x509", "-in", args.cert, "-outform", "DER"],
                             check=True, capture_output=True).stdout
        self.x5c = [base64.b64encode(der).decode()]
        self.users = {}
        with open(args.users) as f:
            for line in f:
                line = line.rstrip("\n")
                if ":" in line:
                    u, p = line.split(":", 1)
                    self.users[u] = p

    def sign(self, data):
        return subprocess.run(["openssl", "dgst", "-sha256", "-sign", self.args.key],
                              input=data, check=True, capture_output=True).stdout

    def grant(self, user, kind, name, actions):
        if user is not None:
            return actions
        if kind == "repository" and name == self.args.public_repo:
            return [a for a in actions if a == "pull"]
        return []

    def token(self, user, scopes):
        access = []
        for s in scopes:
            parsed = parse_scope(s)
            if parsed is None:
                continue
            kind, name, actions = parsed
            granted = self.grant(user, kind, name, actions)
            if granted:
                access.append({"type": kind, "name": name, "actions": granted})
        now = int(time.time())
        header = {"alg": "RS256", "typ": "JWT", "x5c": self.x5c}
        claims = {
            "iss": self.args.issuer,
            "sub": user or "",
            "aud": self.args.service,
            "iat": now,
            "nbf": now - 10,
            "exp": now + 300,
            "jti": secrets.token_hex(16),
            "access": access,
        }
        signing_input = (b64url(json.dumps(header, separators=(",", ":")).encode()) + "." +
                         b64url(json.dumps(claims, separators=(",", ":")).encode()))
        sig = self.sign(signing_input.encode())
        return signing_input + "." + b64url(sig), now


class Handler(BaseHTTPRequestHandler):
    server_version = "skiff-test-token-server"
    protocol_version = "HTTP/1.1"

    def reply(self, code, body, extra=()):
        data = json.dumps(body).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for k, v in extra:
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(data)

    def deny(self, why):
        self.reply(401, {"errors": [{"code": "UNAUTHORIZED", "message": why}]},
                   [("WWW-Authenticate", 'Basic realm="skiff-test-token-server"')])

    def user(self):
        """None for anonymous, the user name, or False for bad credentials"""
        auth = self.headers.get("Authorization")
        if auth is None:
            return None
        kind, _, value = auth.partition(" ")
        if kind.lower() != "basic":
            return False
        try:
            u, _, p = base64.b64decode(value, validate=True).decode().partition(":")
        except (binascii.Error, UnicodeDecodeError):
            return False
        issuer = self.server.issuer
        if u in issuer.users and secrets.compare_digest(issuer.users[u], p):
            return u
        return False

    def do_GET(self):
        url = urllib.parse.urlsplit(self.path)
        if url.path != "/token":
            self.reply(404, {"errors": [{"code": "NOT_FOUND", "message": url.path}]})
            return
        q = urllib.parse.parse_qs(url.query)
        issuer = self.server.issuer
        service = q.get("service", [""])[0]
        if service != issuer.args.service:
            self.deny("unknown service %r" % service)
            return
        user = self.user()
        if user is False:
            self.deny("wrong user name or password")
            return
        token, now = issuer.token(user, q.get("scope", []))
        self.reply(200, {"token": token, "access_token": token, "expires_in": 300,
                         "issued_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(now))})

    def log_message(self, fmt, *args):
        sys.stderr.write("token-server: %s %s\n" % (self.address_string(), fmt % args))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--key", required=True)
    ap.add_argument("--cert", required=True)
    ap.add_argument("--users", required=True)
    ap.add_argument("--port-file", required=True)
    ap.add_argument("--issuer", default="skiff-test-token-server")
    ap.add_argument("--service", default="skiff-test-registry")
    ap.add_argument("--public-repo", default="public")
    args = ap.parse_args()

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    server.issuer = Issuer(args)
    tmp = args.port_file + ".tmp"
    with open(tmp, "w") as f:
        f.write("%d\n" % server.server_address[1])
    os.rename(tmp, args.port_file)
    sys.stderr.write("token-server: listening on 127.0.0.1:%d\n" % server.server_address[1])
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
