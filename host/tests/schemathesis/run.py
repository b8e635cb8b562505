#!/usr/bin/env python3
"""Schemathesis against the host's own OpenAPI document (`docs/api/openapi.json`).

Starts the host (the release binary given) on a free port with a fresh data directory and
the demo catalogue, then runs Schemathesis three times, as an anonymous client, a customer
and an admin: every operation, with valid and invalid inputs generated from the schemas,
including the stateful phase that follows the document's links. Every check runs but
`positive_data_acceptance` (see `README.md` here): no server error, no status code, header,
content type or body the document does not describe, invalid input refused, deleted things
gone, authentication enforced.

    run.py SHOP_HOST_BINARY SCHEMATHESIS_BINARY

`SHOP_API_FUZZ_EXAMPLES` (default 20) bounds the examples per operation and phase;
`SHOP_API_FUZZ_SEED` (default 1, so a run is repeatable) seeds the generation.
"""

import json
import os
import secrets
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", "..", ".."))
ADMIN = "fuzz-admin@example.com"
CUSTOMER = "fuzz-customer@example.com"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def call(base, method, path, body=None):
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(base + path, data=data, method=method, headers={"content-type": "application/json"})
    with urllib.request.urlopen(request, timeout=30) as answer:
        return json.loads(answer.read() or b"null")


def wait_ready(base, host, log_path):
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if host.poll() is not None:
            with open(log_path) as log:
                sys.exit(f"api-fuzz: the host exited ({host.returncode}) before it was ready:\n{log.read()}")
        try:
            call(base, "GET", "/readyz")
            return
        except (urllib.error.URLError, ConnectionError, OSError):
            time.sleep(0.2)
    sys.exit("api-fuzz: the host was not ready within 120 s")


def main():
    host_bin, schemathesis = sys.argv[1], sys.argv[2]
    examples = os.environ.get("SHOP_API_FUZZ_EXAMPLES", "20")
    seed = os.environ.get("SHOP_API_FUZZ_SEED", "1")
    with tempfile.TemporaryDirectory(prefix="shop-api-fuzz.") as work:
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        password = secrets.token_hex(16)
        env = dict(
            os.environ,
            SHOP_ADDR=f"127.0.0.1:{port}",
            SHOP_OPERATOR_ADDR="off",
            SHOP_DATA_DIR=os.path.join(work, "data"),
            SHOP_COMPONENTS_DIR=os.path.join(ROOT, "dist", "components"),
            SHOP_API_DOCS_DIR=os.path.join(ROOT, "dist", "api-docs"),
            SHOP_ADMIN_EMAIL=ADMIN,
            SHOP_ADMIN_PASSWORD=password,
            SPIN_VARIABLE_JWT_SECRET=secrets.token_hex(32),
            # The long poll answers within a second, so its examples do not wait 25 s each.
            SHOP_CHANGES_WAIT_SECS="1",
            RUST_LOG="warn",
        )
        env.pop("MONGODB_URI", None)
        log_path = os.path.join(work, "host.log")
        with open(log_path, "w") as log:
            host = subprocess.Popen([host_bin], env=env, cwd=ROOT, stdout=log, stderr=log)
        try:
            wait_ready(base, host, log_path)
            subprocess.run(
                [host_bin, "seed-demo", "--url", base, "--email", ADMIN, "--password-stdin"],
                input=password.encode(), check=True, capture_output=True,
            )
            admin = call(base, "POST", "/api/auth/login", {"email": ADMIN, "password": password})["access_token"]
            customer_password = secrets.token_hex(16)
            call(base, "POST", "/api/auth/register", {"email": CUSTOMER, "password": customer_password})
            customer = call(base, "POST", "/api/auth/login", {"email": CUSTOMER, "password": customer_password})["access_token"]
            failed = []
            # The admin last: its writes (deleted products, disabled users) cannot then
            # change what the other two see.
            for role, token in [("anonymous", None), ("customer", customer), ("admin", admin)]:
                command = [
                    schemathesis, "--no-color", "run", f"{base}/api/openapi.json", "--url", base,
                    "--checks", "all", "--exclude-checks", "positive_data_acceptance",
                    "--max-examples", examples, "--seed", seed, "--workers", "2",
                    "--request-timeout", "10", "--generation-database", "none",
                ]
                if token:
                    command += ["-H", f"Authorization: Bearer {token}"]
                print(f"api-fuzz: Schemathesis as {role}", flush=True)
                if subprocess.run(command, cwd=work).returncode != 0:
                    failed.append(role)
            if host.poll() is not None:
                failed.append(f"the host, which exited ({host.returncode})")
        finally:
            host.terminate()
            host.wait(timeout=30)
            with open(log_path) as log:
                errors = [line for line in log if " ERROR " in line]
        if errors:
            print("api-fuzz: the host logged errors:\n" + "".join(errors[:20]), flush=True)
        if failed:
            sys.exit(f"api-fuzz: Schemathesis found failures as {', '.join(failed)} (see above)")
        print("api-fuzz: no failures", flush=True)


if __name__ == "__main__":
    main()
