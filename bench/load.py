"""Bounded load against gunicorn (2 workers) on 127.0.0.1, used by `bench/run.py --load`.

A fixed number of requests from several concurrent clients, in phases (see run_load): the
filtered lists, each computed once; the filtered lists again; the same filters through the JSON API
with a token, first visits and again; then a mix of list, htmx fragment, commitment page and update
posts. Reports requests/s, p50/p99 latency and the error count (any 5xx,
any failed connection, any unexpected status).
"""

import http.client
import os
import random
import secrets
import socket
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def login_cookie(username):
    """A session for `username`, made directly in the database the server reads: the headers that
    send it (the cookie, and the CSRF token a post needs)."""
    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.auth.models import User

    from tracker.login_state import SessionStore

    user = User.objects.get(username=username)
    session = SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = settings.AUTHENTICATION_BACKENDS[-1]  # the one that logs people in
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session.save()
    csrf = secrets.token_hex(16)  # 32 characters: Django accepts a cookie token it did not issue
    cookie = f"{settings.SESSION_COOKIE_NAME}={session.session_key}; csrftoken={csrf}"
    return {"Cookie": cookie, "X-CSRFToken": csrf}


def token_headers(username):
    """A read token for `username`, as a script sends it: no session, no cookie."""
    import datetime

    from django.contrib.auth.models import User
    from django.utils import timezone

    from tracker.models import TokenScope
    from tracker.services.api_tokens import api_token_create

    _token, text = api_token_create(
        user=User.objects.get(username=username),
        name="load benchmark",
        scope=TokenScope.READ,
        expires_on=timezone.localdate() + datetime.timedelta(days=30),
    )
    return {"Authorization": f"Bearer {text}"}


def start_gunicorn(port, workdir, workers=2, log_name="gunicorn.log", env=None):
    log = open(workdir / log_name, "w")  # closed when the benchmark process exits
    process = subprocess.Popen(  # noqa: S603 -- a fixed command line
        [
            sys.executable,
            "-m",
            "gunicorn",
            "config.wsgi",
            "--workers",
            str(workers),
            "--bind",
            f"127.0.0.1:{port}",
            "--access-logfile",
            "-",
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        # bench/run.py raised TRACKER_API_RATE in this environment: the API phases are not throttled.
        env=os.environ.copy() if env is None else env,
        stdout=subprocess.DEVNULL,
        stderr=log,
    )
    for _ in range(100):
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            connection.request("GET", "/healthz")
            if connection.getresponse().status == 200:
                return process
        except OSError:
            time.sleep(0.1)
    process.kill()
    raise SystemExit(f"gunicorn did not start; see {workdir / log_name}")


def drive(port, requests, clients, login):
    """Send every request `requests` yields from `clients` keep-alive threads, each with the `login`
    headers (a session's cookie and CSRF token, or an API token).

    Returns latencies, errors and elapsed seconds, and how many posts succeeded.
    """
    latencies, errors, posted, lock = [], [], [0], threading.Lock()
    requests = iter(requests)

    def client():
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        while True:
            with lock:
                item = next(requests, None)
            if item is None:
                return
            method, path, headers, body, expected = item
            headers = {**login, **headers}
            started = time.perf_counter()
            try:
                connection.request(method, path, body=body, headers=headers)
                response = connection.getresponse()
                response.read()
                ok = response.status == expected
            except OSError as exc:
                ok, response = False, exc
                connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            took = (time.perf_counter() - started) * 1000
            with lock:
                latencies.append(took)
                posted[0] += ok and method == "POST"
                if not ok:
                    errors.append(f"{method} {path}: {getattr(response, 'status', response)}")

    threads = [threading.Thread(target=client) for _ in range(clients)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return latencies, errors, time.perf_counter() - started, posted[0]


def summary(name, latencies, errors, elapsed, posted=0):
    ordered = sorted(latencies)
    result = {
        "phase": name,
        "requests": len(latencies),
        "seconds": elapsed,
        "requests_per_s": len(latencies) / elapsed,
        "p50_ms": statistics.median(ordered),
        "p99_ms": ordered[min(len(ordered) - 1, int(0.99 * len(ordered)))],
        "errors": len(errors),
        "error_examples": errors[:5],
        "successful_posts": posted,
    }
    print(
        f"{name:28} {result['requests']:6d} req  {result['requests_per_s']:7.1f} req/s  "
        f"p50 {result['p50_ms']:6.1f} ms  p99 {result['p99_ms']:6.1f} ms  errors {result['errors']}"
    )
    return result


class RequestMix:
    """Reproducible requests over whatever dialogues, themes and agencies the database holds."""

    def __init__(self, seed, post_share=0.05):
        from django.utils import timezone

        from tracker.models import Agency, Commitment, Theme

        self.rng = random.Random(seed)  # noqa: S311 -- a reproducible request mix
        self.agencies = list(Agency.objects.values_list("slug", flat=True))
        self.themes = list(Theme.objects.values_list("slug", flat=True))
        self.ids = list(Commitment.objects.values_list("pk", flat=True))
        self.post_share = post_share
        # Posts are dated today, as staff post them: each one changes its commitment's state, so the
        # pages that show it are computed again (an update dated in the past would change nothing).
        self.today = timezone.localdate().isoformat()

    def list_request(self):
        rng, themes, agencies = self.rng, self.themes, self.agencies
        query = rng.choice(
            [
                f"theme={rng.choice(themes)}",
                f"agency={rng.choice(agencies)}",
                f"theme={rng.choice(themes)}&status=on_track",
                "status=at_risk",
                "",
            ]
        )
        return ("GET", f"/commitments/?{query}", {}, None, 200)

    @staticmethod
    def api_request(list_request):
        """The same filter as a list request, through the JSON API."""
        method, path, _headers, body, expected = list_request
        return (method, path.replace("/commitments/", "/api/v1/commitments/", 1), {}, body, expected)

    def mixed_request(self):
        roll = self.rng.random()
        if roll < self.post_share:
            body = f"status=on_track&progress=50&text=Load+test+update.&reported_on={self.today}"
            headers = {"HX-Request": "true", "Content-Type": "application/x-www-form-urlencoded"}
            return ("POST", f"/commitments/{self.rng.choice(self.ids)}/updates/", headers, body, 200)
        if roll < 0.5:
            return self.list_request()
        if roll < 0.75:
            method, path, _, body, expected = self.list_request()
            return (method, path, {"HX-Request": "true"}, body, expected)
        if roll < 0.95:
            return ("GET", f"/commitments/{self.rng.choice(self.ids)}/", {}, None, 200)
        return ("GET", "/", {}, None, 200)


def first_visits(requests):
    """Each distinct address of `requests` once, in the order first met."""
    return list({path: request for request in requests for path in [request[1]]}.values())


def run_load(args, workdir):
    """Five phases: every distinct list URL of the mix once (each page computed, as after a write),
    then the list with the data unchanged (served from the shared cache); the same two through the
    JSON API with a token; then the mix with posts (each post replaces the data token, so the pages
    after it are computed again).

    The three throughput phases are driven by wrk where it is installed (bench/wrk.py), for
    `--load-seconds` each, so the load generator does not compete with the server as Python threads
    in this process would; elsewhere, or with `--python-load`, by Python threads for `--requests`
    requests, saying so. The first visits are a handful of requests, each URL once: Python threads
    send them either way (wrk cannot stop before its time is up)."""
    from bench.wrk import wrk_missing_reason, wrk_phase
    from tracker.models import StatusUpdate

    mix = RequestMix(args.seed)
    session = login_cookie("bench-editor")
    token = token_headers("bench-admin")
    port = free_port()
    missing = "asked for with --python-load" if args.python_load else wrk_missing_reason()
    driver = (
        f"Python threads, {args.requests} requests a phase ({missing})"
        if missing
        else f"wrk (1 thread), {args.load_seconds} s a phase"
    )
    print(f"\nLoad: gunicorn, 2 workers, 127.0.0.1:{port}, {args.clients} connections, driven by {driver}")
    server = start_gunicorn(port, workdir)

    def landed_posts():
        return StatusUpdate.objects.filter(text="Load test update.").count()

    def once_each(name, requests, login):
        return summary(name, *drive(port, first_visits(requests), args.clients, login))

    def throughput(name, requests, login):
        if missing:
            return summary(name, *drive(port, requests, args.clients, login))
        return wrk_phase(
            name, port, server.pid, requests, login, args.clients, args.load_seconds, posts=landed_posts
        )

    try:
        lists = [mix.list_request() for _ in range(args.requests)]
        api_lists = [mix.api_request(request) for request in lists]
        mixed = [mix.mixed_request() for _ in range(args.requests)]
        results = [
            once_each("list, first visits", lists, session),
            throughput("list, data unchanged", lists, session),
            once_each("API list, first visits", api_lists, token),
            throughput("API list, data unchanged", api_lists, token),
            throughput("mixed (5% posts)", mixed, session),
        ]
    finally:
        server.terminate()
        server.wait(timeout=10)
    return results
