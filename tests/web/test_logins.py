"""Logins under attack: failed guesses slow down (per reviewer name, per client, over all) but never keep the
right token out; the client address comes from X-Forwarded-For only through configured proxies; a session
ends 12 hours after its login whatever the activity, and logging out ends every earlier copy of it."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from starlette.testclient import TestClient

from casewatch.app import App, UserError
from casewatch.web.app import create_app
from casewatch.web.auth import SESSION_MAX_AGE, AuthConfig
from casewatch.web.clients import client_address, parse_proxies
from casewatch.web.throttle import GLOBAL_FAILURES_ALLOWED, WINDOW
from pipeline.store.models import Review
from tests.web.conftest import EN, OTHER_TOKEN, SECRET, T0, TOKEN, csrf_of, login, seed

WRONG = "not-the-token-1234"


class Clock:
    """The time the app sees (seconds since the epoch), moved by the test."""

    def __init__(self) -> None:
        self.now = T0.timestamp()

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


def _auth(clock: Clock, **env: str) -> AuthConfig:
    return AuthConfig.from_env({"CASEWATCH_REVIEWERS": f"ana:{TOKEN},luis:{OTHER_TOKEN}",
                                "CASEWATCH_SECRET_KEY": SECRET, **env}, clock=clock)


def _attempt(client: TestClient, name: str, token: str, headers: dict[str, str] | None = None) -> tuple[int, str]:
    """One login through the form: (status, Retry-After or '')."""
    csrf = csrf_of(client.get("/login").text)
    response = client.post("/login", data={"csrf_token": csrf, "name": name, "token": token, "next": "/"},
                           headers=headers or {}, follow_redirects=False)
    return response.status_code, response.headers.get("retry-after", "")


def _logged_in(client: TestClient, change_id: int) -> bool:
    return "Log in to review this change" not in client.get(f"/changes/{change_id}", headers=EN).text


def _reviews(cw: App) -> int:
    with cw.db.read() as session:
        return session.query(Review).count()


# ------------------------------------------------------------------------------ throttling


@pytest.mark.slow
def test_the_right_token_logs_in_after_any_number_of_failures(cw: App, client: TestClient) -> None:
    s = seed(cw)
    attacker = TestClient(client.app, headers=EN)  # the same address as the reviewer (one proxy, one NAT)
    statuses = [_attempt(attacker, "ana", WRONG)[0] for _ in range(12)]
    assert statuses == [401] * 5 + [429] * 7
    for reviewer in (attacker, TestClient(client.app, headers=EN)):  # same address, and another one
        assert _attempt(reviewer, "ana", TOKEN)[0] == 303
        assert _logged_in(reviewer, s.new)


@pytest.mark.slow
def test_failed_logins_slow_down_per_name_per_client_and_overall(cw: App, caplog: pytest.LogCaptureFixture) -> None:
    clock = Clock()
    app = create_app(cw, auth=_auth(clock))
    first = TestClient(app, client=("192.0.2.1", 40000))
    # Five failures for one name are answered 401; then each further failure waits twice as long.
    assert [_attempt(first, "ana", WRONG) for _ in range(5)] == [(401, "")] * 5
    assert [_attempt(first, "ana", WRONG) for _ in range(4)] == [(429, "1"), (429, "2"), (429, "4"), (429, "8")]
    # The count is the name's, wherever the guesses come from; X-Forwarded-For is not believed (no proxies set).
    second = TestClient(app, client=("192.0.2.2", 40000))
    assert _attempt(second, "ana", WRONG, {"X-Forwarded-For": "198.51.100.9"}) == (429, "16")
    assert _attempt(second, "luis", WRONG) == (401, "")  # another reviewer is not slowed down
    # Invented names share one count, so spraying names gains nothing.
    third = TestClient(app, client=("192.0.2.3", 40000))
    assert [_attempt(third, f"eve{i}", WRONG)[0] for i in range(6)] == [401] * 5 + [429]
    # A client trying many names is slowed down on its own count (third: 6 failures so far).
    assert _attempt(third, "luis", WRONG) == (429, "2")
    # Slowed-down failures are logged, with the client; a name that is no reviewer's (maybe a token typed in
    # the wrong field) is not written down.
    assert "failed login for reviewer 'ana' from 192.0.2.2: throttled, retry after 16s" in caplog.text
    # the names guessed (eve0..eve5) are never logged, by any logger ("selector_events" is not one of them)
    assert "failed login for an unknown reviewer name from 192.0.2.3" in caplog.text
    assert not re.search(r"\beve\d", caplog.text), caplog.text
    # The right token is never refused, at the worst moment either.
    assert _attempt(TestClient(app, client=("192.0.2.1", 40000)), "ana", TOKEN)[0] == 303
    # Counts last WINDOW seconds.
    clock.advance(WINDOW)
    assert _attempt(first, "ana", WRONG) == (401, "")
    # Over all names and clients: past GLOBAL_FAILURES_ALLOWED failures, every failure is slowed down, even
    # for a name and an address that are each within their own allowance.
    many = {f"r{i}": f"token-of-reviewer-{i:03d}" for i in range(GLOBAL_FAILURES_ALLOWED // 4 + 1)}
    crowd = create_app(cw, auth=AuthConfig.from_env({
        "CASEWATCH_REVIEWERS": ",".join(f"{n}:{t}" for n, t in many.items()), "CASEWATCH_SECRET_KEY": SECRET},
        clock=clock))
    names = [n for n in many for _ in range(4)][:GLOBAL_FAILURES_ALLOWED]
    spray = [_attempt(TestClient(crowd, client=(f"203.0.113.{i}", 1)), n, WRONG)[0] for i, n in enumerate(names)]
    assert spray == [401] * GLOBAL_FAILURES_ALLOWED
    last = names[-1]
    assert _attempt(TestClient(crowd, client=("198.51.100.200", 1)), last, WRONG) == (429, "1")
    assert _attempt(TestClient(crowd, client=("198.51.100.201", 1)), last, many[last])[0] == 303


@pytest.mark.slow
def test_forwarded_addresses_only_through_trusted_proxies(cw: App) -> None:
    clock = Clock()
    app = create_app(cw, auth=_auth(clock, CASEWATCH_TRUSTED_PROXIES="10.0.0.1, 10.1.0.0/16"))
    proxy = TestClient(app, client=("10.0.0.1", 40000))
    names = ["ana", "luis", "eve"] * 2  # no name reaches its own allowance: only the client's count does
    one = {"X-Forwarded-For": "198.51.100.7"}
    assert [_attempt(proxy, n, WRONG, one)[0] for n in names] == [401] * 5 + [429]
    # Behind the same proxy, another visitor is another client.
    assert _attempt(proxy, "eve", WRONG, {"X-Forwarded-For": "198.51.100.8"}) == (401, "")
    # Not from a trusted proxy: the header is the client's own word, ignored; changing it evades nothing.
    direct = TestClient(app, client=("192.0.2.50", 40000))
    forged = [_attempt(direct, n, WRONG, {"X-Forwarded-For": f"198.51.100.{i}"})[0]
              for i, n in enumerate(["ana", "luis"] * 3)]  # ana and luis: 5 failures each by the end
    assert forged == [401] * 5 + [429]

    nets = parse_proxies("10.0.0.1, 10.1.0.0/16, ::1")
    assert client_address("10.0.0.1", ["203.0.113.5, 10.1.2.3"], nets) == "203.0.113.5"  # two proxies
    assert client_address("10.0.0.1", ["1.2.3.4, 203.0.113.5"], nets) == "203.0.113.5"  # forged leftmost hop
    assert client_address("10.0.0.1", ["1.2.3.4", "203.0.113.5"], nets) == "203.0.113.5"  # two headers
    assert client_address("10.0.0.1", ["not-an-address"], nets) == "10.0.0.1"
    assert client_address("10.0.0.1", [], nets) == "10.0.0.1"
    assert client_address("192.0.2.9", ["203.0.113.5"], nets) == "192.0.2.9"
    assert client_address("::1", ["2001:db8::7"], nets) == "2001:db8::7"
    assert client_address("192.0.2.9", ["203.0.113.5"], ()) == "192.0.2.9"
    with pytest.raises(UserError, match=r"^CASEWATCH_TRUSTED_PROXIES entry 2: 'proxy\.lan' is not an IP address"):
        parse_proxies("10.0.0.1, proxy.lan")


# ------------------------------------------------------------------------------ sessions


@pytest.mark.slow
def test_a_session_ends_twelve_hours_after_login_whatever_the_activity(cw: App) -> None:
    s = seed(cw)
    clock = Clock()
    reviewer = TestClient(create_app(cw, auth=_auth(clock)), headers=EN)
    csrf = login(reviewer)
    for _ in range(11):  # busy all day: a request every hour
        clock.advance(3600)
        assert _logged_in(reviewer, s.new)
    clock.advance(SESSION_MAX_AGE - 11 * 3600 - 1)
    assert _logged_in(reviewer, s.new)
    clock.advance(1)
    assert not _logged_in(reviewer, s.new)
    late = reviewer.post(f"/changes/{s.new}/review", data={"action": "reviewed", "csrf_token": csrf},
                         follow_redirects=False)
    assert late.status_code == 401 and _reviews(cw) == 0
    login(reviewer)  # a new login starts a new 12 hours
    clock.advance(SESSION_MAX_AGE - 1)
    assert _logged_in(reviewer, s.new)


@pytest.mark.slow
def test_logging_out_refuses_every_earlier_copy_of_the_cookie(cw: App, client: TestClient) -> None:
    s = seed(cw)
    csrf = login(client)
    stolen = TestClient(client.app, headers=EN, cookies=dict(client.cookies))  # captured before the logout
    other_device = TestClient(client.app, headers=EN)
    login(other_device)
    luis = TestClient(client.app, headers=EN)
    login(luis, "luis", OTHER_TOKEN)
    assert _logged_in(stolen, s.new)
    assert client.post("/logout", data={"csrf_token": csrf}, follow_redirects=False).status_code == 303

    assert not _logged_in(stolen, s.new) and not _logged_in(other_device, s.new)
    replay = stolen.post(f"/changes/{s.new}/review", data={"action": "irrelevant", "csrf_token": csrf},
                         follow_redirects=False)
    assert replay.status_code == 401 and _reviews(cw) == 0
    assert _logged_in(luis, s.new)  # another reviewer's sessions are theirs
    # Kept in the database: a restarted server (same key) refuses the copy too.
    restarted = create_app(cw, auth=AuthConfig.from_env({"CASEWATCH_REVIEWERS": f"ana:{TOKEN}",
                                                         "CASEWATCH_SECRET_KEY": SECRET}))
    assert not _logged_in(TestClient(restarted, headers=EN, cookies=dict(stolen.cookies)), s.new)
    # Logging in again works.
    login(client)
    assert _logged_in(client, s.new)


@pytest.mark.slow
def test_logout_is_recorded_once_per_reviewer_whatever_the_name_length(cw: App) -> None:
    long_name = "a" * 64  # longer than the marks table's key once prefixed: stored as a digest
    clock = Clock()
    auth = AuthConfig.from_env({"CASEWATCH_REVIEWERS": f"{long_name}:{TOKEN}", "CASEWATCH_SECRET_KEY": SECRET},
                               clock=clock)
    s = seed(cw)
    reviewer = TestClient(create_app(cw, auth=auth), headers=EN)
    csrf = login(reviewer, long_name)
    copy = TestClient(reviewer.app, headers=EN, cookies=dict(reviewer.cookies))
    clock.advance(timedelta(hours=1).total_seconds())
    assert reviewer.post("/logout", data={"csrf_token": csrf}, follow_redirects=False).status_code == 303
    assert not _logged_in(copy, s.new)
    clock.advance(1)
    login(reviewer, long_name)
    assert _logged_in(reviewer, s.new)
