#!/usr/bin/env python3
"""The soak and fault run's traffic, faults and checks (started by bench/soak.sh).

Mixed traffic through nginx (browsing, search, product pages, storefront pages, sign-ins,
registrations, admin writes, image uploads) from CONNECTIONS threads with keep-alive, while a
fault schedule runs: host 2 SIGKILLed and restarted every KILL_EVERY seconds, the catalog
component hot-swapped every SWAP_EVERY seconds, the uploads directory full for 30 s once per
FULL_EVERY seconds. Every error is counted by route and status and put down to the fault
that was under way, or to none (unexpected). At the end, with the faults stopped, every write
that got a 2xx is read back: products (name and price as last acknowledged), images (listed,
each variant served as WebP) and users (they sign in). RSS and open files of each process are
sampled over time and drawn as an SVG.

Only the standard library: nothing to install, nothing in the shop's build.
"""

import http.client
import json
import os
import random
import signal
import ssl
import subprocess
import sys
import threading
import time
import uuid
from collections import defaultdict

CONFIG = json.loads(sys.argv[1])
HOST, PORT = CONFIG["host"], CONFIG["port"]
DURATION = CONFIG["seconds"]
CONNECTIONS = CONFIG["connections"]
OUT = CONFIG["out"]
TLS = ssl._create_unverified_context()  # the run's own self-signed certificate
JPEG = open(CONFIG["jpeg"], "rb").read()

stop = threading.Event()
lock = threading.Lock()
latencies = defaultdict(list)  # route -> seconds
counts = defaultdict(int)  # route -> answers
errors = defaultdict(int)  # (fault or "unexpected", route, status) -> n
faults = []  # (name, start, end) windows; end None while under way
samples = []  # (t, {process: (rss_kb, fds)})
unexpected_samples = []  # the first few unexpected errors, with their bodies
started = time.monotonic()

# Acknowledged writes, checked at the end.
products = {}  # id -> {"name": str, "prices": set of acceptable amounts, "acked": amount}
images = defaultdict(set)  # product id -> image ids acknowledged
users = {}  # email -> password
uncertain = defaultdict(int)  # kind -> writes whose outcome is unknown (connection lost)


class Client:
    """One keep-alive HTTPS connection to nginx, reopened after any failure."""

    def __init__(self):
        self.conn = None

    def request(self, method, path, body=None, headers=None):
        headers = dict(headers or {})
        if self.conn is None:
            self.conn = http.client.HTTPSConnection(HOST, PORT, context=TLS, timeout=15)
        try:
            self.conn.request(method, path, body=body, headers=headers)
            response = self.conn.getresponse()
            data = response.read()
            if response.getheader("connection", "").lower() == "close":
                self.close()
            return response.status, data, response
        except Exception:
            self.close()
            return None, b"", None

    def close(self):
        if self.conn is not None:
            self.conn.close()
        self.conn = None


def faults_during(start, end):
    """The faults under way at some moment of [start, end] (or up to 3 s after they ended:
    nginx's retries, reconnects), latest first."""
    with lock:
        return [name for name, begun, ended in reversed(faults) if begun <= end and (ended is None or start <= ended + 3)]


def cause_of(route, status, start, end):
    """The fault that explains an error, or "unexpected": a full uploads directory refuses
    uploads (507, or 503 when it cannot even be written to); a killed host fails what was in
    flight on it; any other fault under way is named as it is."""
    under_way = faults_during(start, end)
    if route == "POST /api/products/{id}/images" and status in (503, 507):
        full = [f for f in under_way if f.startswith("uploads full")]
        if full:
            return full[0]
    killed = [f for f in under_way if f.startswith("host 2")]
    return (killed or under_way or ["unexpected"])[0]


def record(route, status, took, at, expected_statuses=(200,), body=b""):
    with lock:
        counts[route] += 1
        latencies[route].append(took)
    if status in expected_statuses:
        return True
    cause = cause_of(route, status, at, at + took)
    with lock:
        errors[(cause, route, status if status is not None else "connection")] += 1
        if cause == "unexpected" and len(unexpected_samples) < 10:
            unexpected_samples.append(f"{at - started:.1f} s: {route} {status}: {body[:300]!r}")
    return False


def timed(client, route, method, path, body=None, headers=None, ok=(200,)):
    at = time.monotonic()
    status, data, _ = client.request(method, path, body, headers)
    took = time.monotonic() - at
    return record(route, status, took, at, ok, data), status, data


def json_body(value):
    return json.dumps(value).encode(), {"content-type": "application/json"}


class Admin:
    """The admin's token, signed in again when it runs out."""

    def __init__(self):
        self.token = None
        self.lock = threading.Lock()

    def headers(self, client, refresh=False):
        with self.lock:
            if self.token is None or refresh:
                body, headers = json_body({"email": CONFIG["admin_email"], "password": CONFIG["admin_password"]})
                for _ in range(50):
                    status, data, _ = client.request("POST", "/api/auth/login", body, headers)
                    if status == 200:
                        self.token = json.loads(data)["access_token"]
                        break
                    time.sleep(0.2)
            return {"authorization": f"Bearer {self.token}"}


ADMIN = Admin()


def setup():
    client = Client()
    status, data, _ = client.request("GET", "/api/products?per_page=100")
    assert status == 200, f"the catalogue is not up: {status}"
    slugs = [p["slug"] for p in json.loads(data)["items"]]
    status, data, _ = client.request("GET", "/api/categories")
    categories = [c["slug"] for c in json.loads(data)["items"]]
    shoppers = []
    # One account per connection: an account's sign-ins are throttled as a group (parallel
    # attempts at one account count against it until they succeed), as they should be.
    for n in range(CONNECTIONS):
        email, password = f"soak-{n}-{uuid.uuid4().hex[:6]}@example.com", "correct horse battery staple"
        body, headers = json_body({"email": email, "password": password})
        status, _, _ = client.request("POST", "/api/auth/register", body, headers)
        assert status in (200, 201), f"registering a shopper: {status}"
        shoppers.append((email, password))
    return slugs, categories, shoppers


def worker(n, slugs, categories, shoppers):
    client = Client()
    mine = []  # products this worker created: only it changes them (no version races)
    uploaded = defaultdict(int)  # images sent to each of them (a product holds a few)
    rng = random.Random(n)
    words = ["coffee", "dates", "tea", "تمر", "قهوة", "honey", "brass", "oud"]
    while not stop.is_set():
        pick = rng.random()
        if pick < 0.18:
            timed(client, "GET /api/products", "GET", f"/api/products?per_page=24&page={rng.randint(1, 5)}")
        elif pick < 0.28:
            q = urlquote(rng.choice(words))
            timed(client, "GET /api/products?q", "GET", f"/api/products?per_page=24&q={q}")
        elif pick < 0.40:
            timed(client, "GET /api/products/{slug}", "GET", f"/api/products/{rng.choice(slugs)}")
        elif pick < 0.52:
            timed(client, "GET /p/{slug} (SSR)", "GET", f"/{'ar/' if rng.random() < 0.3 else ''}p/{rng.choice(slugs)}")
        elif pick < 0.62:
            timed(client, "GET /c/{category} (SSR)", "GET", f"/c/{rng.choice(categories)}")
        elif pick < 0.67:
            timed(client, "GET / (SSR)", "GET", "/")
        elif pick < 0.70:
            email, password = shoppers[n]
            body, headers = json_body({"email": email, "password": password})
            timed(client, "POST /api/auth/login", "POST", "/api/auth/login", body, headers)
        elif pick < 0.71:
            register(client, rng)
        elif pick < 0.84 or not mine:
            create_product(client, rng, mine)
        elif pick < 0.95:
            change_price(client, rng, mine)
        else:
            upload_image(client, rng, mine, uploaded)
    client.close()


def urlquote(text):
    from urllib.parse import quote

    return quote(text)


def register(client, rng):
    email = f"new-{uuid.uuid4().hex}@example.com"
    password = f"soak {uuid.uuid4().hex[:12]}"
    body, headers = json_body({"email": email, "password": password})
    ok, status, _ = timed(client, "POST /api/auth/register", "POST", "/api/auth/register", body, headers, ok=(200, 201))
    if ok:
        with lock:
            users[email] = password
    elif status is None or status >= 500:
        with lock:
            uncertain["user"] += 1


def create_product(client, rng, mine):
    name = f"Soak {uuid.uuid4().hex[:10]}"
    amount = rng.randint(100, 100000)
    body, headers = json_body(
        {
            "name": {"en": name, "ar": "منتج " + name[5:]},
            "description": {"en": "Made by the soak run.", "ar": "من تشغيل التحمل."},
            "price": {"amount": amount, "currency": "SAR"},
            "stock": rng.randint(0, 50),
            "status": "published" if rng.random() < 0.5 else "draft",
        }
    )
    headers.update(ADMIN.headers(client))
    ok, status, data = timed(client, "POST /api/products", "POST", "/api/products", body, headers, ok=(201,))
    if ok:
        product = json.loads(data)
        with lock:
            products[product["id"]] = {"name": name, "prices": {amount}, "acked": amount, "version": product["version"]}
        mine.append(product["id"])
    elif status == 401:
        ADMIN.headers(client, refresh=True)
    elif status is None or status >= 500:
        with lock:
            uncertain["product"] += 1


def change_price(client, rng, mine):
    product_id = rng.choice(mine)
    state = products[product_id]
    amount = rng.randint(100, 100000)
    body, headers = json_body({"price": {"amount": amount, "currency": "SAR"}})
    headers.update(ADMIN.headers(client))
    headers["content-type"] = "application/merge-patch+json"
    headers["if-match"] = f'"{state["version"]}"'
    # Until the answer comes, either price may be the stored one.
    with lock:
        state["prices"].add(amount)
    ok, status, data = timed(client, "PATCH /api/products/{id}", "PATCH", f"/api/products/{product_id}", body, headers)
    with lock:
        if ok:
            state["prices"] = {amount}
            state["acked"] = amount
            state["version"] = json.loads(data)["version"]
        elif status is not None and status < 500:
            state["prices"].discard(amount)
            if status == 412 or status == 409:
                state["version"] = None
        else:
            uncertain["price"] += 1
            state["version"] = None
    if state["version"] is None:
        refresh_version(client, product_id)
    if status == 401:
        ADMIN.headers(client, refresh=True)


def refresh_version(client, product_id):
    """After an unknown outcome the stored version is read again (the write may have landed)."""
    for _ in range(20):
        status, data, _ = client.request("GET", f"/api/products/{product_id}", headers=ADMIN.headers(client))
        if status == 200:
            product = json.loads(data)
            with lock:
                state = products[product_id]
                state["version"] = product["version"]
                state["prices"] = {product["price"]["amount"]}
                state["acked"] = product["price"]["amount"]
            return
        time.sleep(0.2)


def upload_image(client, rng, mine, uploaded):
    room = [p for p in mine if uploaded[p] < 4]
    if not room:
        return create_product(client, rng, mine)
    product_id = rng.choice(room)
    uploaded[product_id] += 1
    # A comment segment makes each file new (an image's id is its content's).
    comment = os.urandom(16)
    jpeg = JPEG[:2] + b"\xff\xfe" + (len(comment) + 2).to_bytes(2, "big") + comment + JPEG[2:]
    boundary = uuid.uuid4().hex
    body = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="images"; filename="soak.jpg"\r\n'
        f"Content-Type: image/jpeg\r\n\r\n"
    ).encode() + jpeg + f"\r\n--{boundary}--\r\n".encode()
    headers = {"content-type": f"multipart/form-data; boundary={boundary}"}
    headers.update(ADMIN.headers(client))
    ok, status, data = timed(client, "POST /api/products/{id}/images", "POST", f"/api/products/{product_id}/images", body, headers, ok=(201,))
    if ok:
        product = json.loads(data)
        with lock:
            for image in product.get("images", []):
                images[product_id].add(image["id"])
            products[product_id]["version"] = product["version"]
    elif status is None or status >= 500:
        with lock:
            uncertain["image"] += 1
        refresh_version(client, product_id)


# --- processes and faults -------------------------------------------------------------------


def pids():
    found = {}
    for name, path in CONFIG["pid_files"].items():
        try:
            found[name] = [int(open(path).read().split()[0])]
        except (OSError, ValueError, IndexError):
            pass
    # nginx: the master and its workers.
    try:
        master = int(open(CONFIG["nginx_pid"]).read().strip())
        workers = subprocess.run(["pgrep", "-P", str(master)], capture_output=True, text=True).stdout.split()
        found["nginx"] = [master] + [int(w) for w in workers]
    except (OSError, ValueError):
        pass
    return found


def sample_processes():
    while not stop.is_set():
        at = time.monotonic() - started
        row = {}
        for name, group in pids().items():
            rss = fds = 0
            for pid in group:
                try:
                    for line in open(f"/proc/{pid}/status"):
                        if line.startswith("VmRSS:"):
                            rss += int(line.split()[1])
                    fds += len(os.listdir(f"/proc/{pid}/fd"))
                except OSError:
                    pass
            row[name] = (rss, fds)
        with lock:
            samples.append((at, row))
        stop.wait(CONFIG["sample_every"])


def fault_window(name, action, hold=0.0, after=None):
    at = time.monotonic()
    with lock:
        faults.append([name, at, None])
        index = len(faults) - 1
    try:
        action()
        if hold:
            stop.wait(hold)
    finally:
        if after:
            after()
        with lock:
            faults[index][2] = time.monotonic()


def kill_host():
    pid = int(open(CONFIG["pid_files"]["host-2"]).read().split()[0])
    os.kill(pid, signal.SIGKILL)
    time.sleep(0.5)
    subprocess.run(CONFIG["restart_host_2"], shell=True, check=True)


def hot_swap():
    src = os.path.join(CONFIG["components_dir"], "catalog.wasm")
    tmp = src + ".swap.tmp"
    with open(src, "rb") as f, open(tmp, "wb") as g:
        g.write(f.read())
    os.replace(tmp, src)  # a new inode: both hosts compile it and swap it in
    time.sleep(3)


def fill_uploads():
    # All or nothing: with uploads already there it fails, and the loop below fills the rest.
    subprocess.run(["fallocate", "-l", CONFIG["fill_size"], CONFIG["filler"]], check=False, stderr=subprocess.DEVNULL)
    # Whatever fallocate left, the rest is filled byte by byte until the disk says no.
    subprocess.run(f"cat /dev/zero >> {CONFIG['filler']} 2>/dev/null", shell=True, check=False)


def empty_uploads():
    try:
        os.remove(CONFIG["filler"])
    except OSError:
        pass


def fault_schedule():
    kill_at, swap_at, full_at = CONFIG["kill_every"], CONFIG["swap_every"], CONFIG["full_every"]
    next_kill, next_swap, next_full = kill_at, swap_at, full_at
    while not stop.is_set():
        now = time.monotonic() - started
        if now >= next_kill:
            threading.Thread(target=fault_window, args=("host 2 SIGKILLed and restarted", kill_host), daemon=True).start()
            next_kill += kill_at
        if now >= next_swap:
            threading.Thread(target=fault_window, args=("catalog hot-swapped", hot_swap), daemon=True).start()
            next_swap += swap_at
        if CONFIG["filler"] and now >= next_full:
            threading.Thread(target=fault_window, args=("uploads full for 30 s", fill_uploads, 30.0, empty_uploads), daemon=True).start()
            next_full += full_at
        stop.wait(0.5)


# --- checks and report ----------------------------------------------------------------------


def check_writes():
    client = Client()
    lost = defaultdict(list)
    checked = defaultdict(int)
    admin = ADMIN.headers(client, refresh=True)
    for product_id, state in list(products.items()):
        checked["products"] += 1
        status, data, _ = client.request("GET", f"/api/products/{product_id}", headers=admin)
        if status != 200:
            lost["products"].append(f"{product_id}: {status}")
            continue
        product = json.loads(data)
        if product["name"]["en"] != state["name"] or product["price"]["amount"] not in state["prices"] | {state["acked"]}:
            lost["products"].append(f"{product_id}: {product['name']['en']} at {product['price']['amount']}, expected {state}")
        stored = {image["id"]: image for image in product.get("images", [])}
        for image_id in images.get(product_id, ()):
            checked["images"] += 1
            image = stored.get(image_id)
            if image is None:
                lost["images"].append(f"{product_id}/{image_id}: not listed")
                continue
            for variant in image["variants"]:
                checked["image files"] += 1
                status, data, _ = client.request("GET", variant["url"])
                if status != 200 or data[:4] != b"RIFF" or data[8:12] != b"WEBP" or len(data) != variant["bytes"]:
                    lost["image files"].append(f"{variant['url']}: {status}, {len(data)} bytes")
    for email, password in list(users.items()):
        checked["users"] += 1
        body, headers = json_body({"email": email, "password": password})
        status, _, _ = client.request("POST", "/api/auth/login", body, headers)
        if status != 200:
            lost["users"].append(f"{email}: {status}")
    return checked, lost


def percentile(values, p):
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * p))] * 1000


def rss_growth():
    """Growth of each long-lived process after the warm-up: the median of the last quarter of
    the samples against the median of the first (one sample moves with the load by a third)."""
    warm = [row for at, row in samples if at >= CONFIG["warmup"]]
    growth = {}
    if len(warm) < 4:
        return growth
    quarter = len(warm) // 4
    for name in warm[0]:
        if name == "host-2":
            continue  # killed every minute: it has no long life to grow in
        first = sorted(row.get(name, (0, 0))[0] for row in warm[:quarter])[quarter // 2]
        last = sorted(row.get(name, (0, 0))[0] for row in warm[-quarter:])[quarter // 2]
        if first:
            growth[name] = (first, last, (last - first) / first * 100)
    return growth


def svg():
    names = sorted({name for _, row in samples for name in row})
    width, height, pad = 900, 360, 50
    top = max((row[n][0] for _, row in samples for n in row), default=1) / 1024 * 1.1
    end = max((at for at, _ in samples), default=1)
    colours = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e"]
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" font-family="sans-serif" font-size="12">']
    out.append(f'<text x="{pad}" y="20">Resident memory (MiB) over the soak ({end:.0f} s); shaded: faults</text>')
    for name, start, stop_at in faults:
        x0 = pad + (start - started) / end * (width - 2 * pad)
        x1 = pad + ((stop_at or start) - started) / end * (width - 2 * pad)
        out.append(f'<rect x="{x0:.1f}" y="{pad}" width="{max(x1 - x0, 1):.1f}" height="{height - 2 * pad}" fill="#eee"><title>{name}</title></rect>')
    for i, name in enumerate(names):
        points = " ".join(
            f"{pad + at / end * (width - 2 * pad):.1f},{height - pad - row[name][0] / 1024 / top * (height - 2 * pad):.1f}"
            for at, row in samples
            if name in row
        )
        colour = colours[i % len(colours)]
        out.append(f'<polyline fill="none" stroke="{colour}" stroke-width="1.5" points="{points}"/>')
        out.append(f'<text x="{width - pad - 120}" y="{pad + 15 * i}" fill="{colour}">{name}</text>')
    out.append(f'<line x1="{pad}" y1="{height - pad}" x2="{width - pad}" y2="{height - pad}" stroke="black"/>')
    out.append(f'<text x="{pad}" y="{height - pad + 15}">0 s</text><text x="{width - pad - 30}" y="{height - pad + 15}">{end:.0f} s</text>')
    out.append(f'<text x="5" y="{pad + 5}">{top:.0f}</text><text x="5" y="{height - pad}">0</text></svg>')
    return "\n".join(out)


def main():
    slugs, categories, shoppers = setup()
    threads = [threading.Thread(target=sample_processes, daemon=True), threading.Thread(target=fault_schedule, daemon=True)]
    threads += [threading.Thread(target=worker, args=(n, slugs, categories, shoppers), daemon=True) for n in range(CONNECTIONS)]
    for thread in threads:
        thread.start()
    stop.wait(DURATION)
    stop.set()
    for thread in threads:
        thread.join(timeout=60)
    # Faults still under way end before the checks (a host being restarted is waited for).
    deadline = time.monotonic() + 60
    while any(end is None for _, _, end in faults) and time.monotonic() < deadline:
        time.sleep(0.5)
    empty_uploads()
    checked, lost = check_writes()
    elapsed = time.monotonic() - started
    report(elapsed, checked, lost)
    unexpected = sum(n for (fault, _, _), n in errors.items() if fault == "unexpected")
    grew = [name for name, (_, _, pct) in rss_growth().items() if pct >= 10]
    return 1 if unexpected or any(lost.values()) or grew else 0


def report(elapsed, checked, lost):
    lines = [f"## Soak: {DURATION} s, {CONNECTIONS} connections through nginx to two hosts on one store", ""]
    total = sum(counts.values())
    lines.append(f"{total} requests, {total / DURATION:.0f}/s; faults: " + ", ".join(f"{name} ×{n}" for name, n in fault_counts().items()))
    lines += ["", "| route | requests | p50 ms | p99 ms |", "| --- | ---: | ---: | ---: |"]
    for route in sorted(counts):
        lines.append(f"| `{route}` | {counts[route]} | {percentile(latencies[route], 0.5):.1f} | {percentile(latencies[route], 0.99):.1f} |")
    lines += ["", "| errors: cause | route | status | n |", "| --- | --- | --- | ---: |"]
    for (fault, route, status), n in sorted(errors.items(), key=lambda e: (e[0][0] == "unexpected", -e[1])):
        lines.append(f"| {fault} | `{route}` | {status} | {n} |")
    if not errors:
        lines.append("| none | | | 0 |")
    lines += ["", "| process | RSS after warm-up, median of the first quarter (MiB) | of the last quarter (MiB) | growth | open files at the end |", "| --- | ---: | ---: | ---: | ---: |"]
    last = samples[-1][1] if samples else {}
    for name, (first, end_rss, pct) in sorted(rss_growth().items()):
        lines.append(f"| {name} | {first / 1024:.1f} | {end_rss / 1024:.1f} | {pct:+.1f} % | {last.get(name, (0, 0))[1]} |")
    lines += ["", "| acknowledged writes | checked | lost |", "| --- | ---: | ---: |"]
    for kind in ["products", "images", "image files", "users"]:
        lines.append(f"| {kind} | {checked.get(kind, 0)} | {len(lost.get(kind, []))} |")
    lines.append("")
    lines.append("Writes whose answer was lost to a fault (not counted as acknowledged): " + (", ".join(f"{k} {v}" for k, v in sorted(uncertain.items())) or "none"))
    for sample in unexpected_samples:
        lines.append(f"- unexpected: {sample}")
    for kind, items in lost.items():
        for item in items[:20]:
            lines.append(f"- LOST {kind}: {item}")
    text = "\n".join(lines)
    print(text)
    os.makedirs(OUT, exist_ok=True)
    with open(os.path.join(OUT, "report.md"), "w") as f:
        f.write(text + "\n")
    with open(os.path.join(OUT, "rss.svg"), "w") as f:
        f.write(svg())
    with open(os.path.join(OUT, "samples.json"), "w") as f:
        json.dump({"samples": samples, "faults": [(n, s - started, (e or s) - started) for n, s, e in faults]}, f)
    print(f"\nreport, samples and the RSS plot (rss.svg) in {OUT}; took {elapsed:.0f} s")


def fault_counts():
    seen = defaultdict(int)
    for name, _, _ in faults:
        seen[name] += 1
    return seen


if __name__ == "__main__":
    sys.exit(main())
