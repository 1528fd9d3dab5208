"""`infra pr-comment` against a local server speaking GitHub's issue-comment REST API: one comment
per marker, created once and then edited in place, found across pages, and clear errors."""

from __future__ import annotations

import http.server
import json
import threading
from urllib.parse import parse_qs, urlparse

import pytest
from cli_run import assert_one_line_error, infra


class FakeGitHub:
    """Comments of pull request 7 of acme/app, as the REST API serves them (100 a page at most)."""

    def __init__(self, existing: int = 0, status: int = 200):
        self.comments = [{"id": i + 1, "body": f"someone else's comment {i}", "html_url": f"u/{i + 1}"}
                         for i in range(existing)]
        self.status, self.requests = status, []
        fake = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def _send(self, code, payload):
                data = json.dumps(payload).encode()
                self.send_response(code)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def _body(self):
                return json.loads(self.rfile.read(int(self.headers["Content-Length"])))

            def do_GET(self):
                fake.requests.append(("GET", self.path, self.headers["Authorization"]))
                if fake.status != 200:
                    return self._send(fake.status, {"message": "Resource not accessible by integration"})
                url = urlparse(self.path)
                query = parse_qs(url.query)
                per, page = int(query["per_page"][0]), int(query["page"][0])
                assert url.path == "/repos/acme/app/issues/7/comments"
                self._send(200, fake.comments[(page - 1) * per: page * per])

            def do_POST(self):
                fake.requests.append(("POST", self.path, self.headers["Authorization"]))
                comment = {"id": 1000 + len(fake.comments), "body": self._body()["body"], "html_url": "new"}
                fake.comments.append(comment)
                self._send(201, comment)

            def do_PATCH(self):
                fake.requests.append(("PATCH", self.path, self.headers["Authorization"]))
                comment_id = int(self.path.rsplit("/", 1)[1])
                (comment,) = [c for c in fake.comments if c["id"] == comment_id]
                comment["body"] = self._body()["body"]
                self._send(200, comment)

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def github_env(tmp_path):
    servers = []

    def make(existing=0, status=200, **overrides):
        fake = FakeGitHub(existing, status)
        servers.append(fake)
        event = tmp_path / "event.json"
        event.write_text(json.dumps({"pull_request": {"number": 7}}))
        env = {"GITHUB_API_URL": fake.url, "GITHUB_TOKEN": "t0ken", "GITHUB_REPOSITORY": "acme/app",
               "GITHUB_EVENT_PATH": str(event), **overrides}
        return fake, env

    yield make
    for server in servers:
        server.close()


def post(env, marker, text, tmp_path):
    body = tmp_path / f"{marker}.md"
    body.write_text(text)
    return infra("pr-comment", "--marker", marker, "--body-file", str(body), env=env)


def test_the_first_run_creates_the_comment_and_later_runs_edit_it(github_env, tmp_path):
    fake, env = github_env(existing=150)  # two pages of other comments to look through
    assert post(env, "plan-prod", "plan: +3", tmp_path).stdout.startswith("created")
    assert post(env, "plan-prod", "plan: +4", tmp_path).stdout.startswith("updated")
    assert post(env, "gate", "gate: pass", tmp_path).stdout.startswith("created")  # another marker, another comment
    mine = [c for c in fake.comments if c["body"].startswith("<!-- infra:")]
    assert [c["body"] for c in mine] == ["<!-- infra:plan-prod -->\nplan: +4", "<!-- infra:gate -->\ngate: pass"]
    assert len(fake.comments) == 152
    assert {auth for _, _, auth in fake.requests} == {"Bearer t0ken"}
    pages = [path for method, path, _ in fake.requests if method == "GET"]
    assert any("page=2" in path for path in pages)  # the second page was read, not just the first


def test_a_body_longer_than_github_takes_is_cut_with_a_note(github_env, tmp_path):
    fake, env = github_env()
    post(env, "gate", "x" * 70000, tmp_path)
    (comment,) = fake.comments
    assert len(comment["body"]) == 65536
    assert comment["body"].endswith("(cut: the full report is in the run's artifacts)")


@pytest.mark.parametrize(("overrides", "message"), [
    ({"GITHUB_TOKEN": ""}, "GITHUB_TOKEN is not set"),
    ({"GITHUB_REPOSITORY": "acme"}, "is not owner/name"),
    ({"GITHUB_EVENT_PATH": ""}, "not running in a GitHub Actions job"),
])
def test_a_missing_setting_is_a_one_line_error(github_env, tmp_path, overrides, message):
    fake, env = github_env(**overrides)
    assert_one_line_error(post(env, "gate", "x", tmp_path), message)
    assert fake.requests == []


def test_an_event_that_is_not_a_pull_request_and_a_refused_call(github_env, tmp_path):
    _, env = github_env()
    push_event = tmp_path / "push.json"
    push_event.write_text(json.dumps({"ref": "refs/heads/main"}))
    assert_one_line_error(post({**env, "GITHUB_EVENT_PATH": str(push_event)}, "gate", "x", tmp_path),
                          "not a pull request")
    assert_one_line_error(post(env, "bad marker!", "x", tmp_path), "marker 'bad marker!'")
    _, env = github_env(status=403)
    assert_one_line_error(post(env, "gate", "x", tmp_path), "HTTP 403", "not accessible")
