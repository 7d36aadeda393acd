"""The REST client of the InaSAFE Django web app, as the old processor spoke to it.

Session login with CSRF (HTTP Basic as a fallback), then create-or-update: GET,
then PUT when the record exists or POST when it does not. A refusal is a
`PushError` carrying the HTTP status, so the outbox can tell an outage from a
refusal without reading the message.
"""

from __future__ import annotations

import logging
from urllib.parse import urljoin

import requests


log = logging.getLogger(__name__)
REFUSED_CREDENTIALS = (401, 403)  # log in again once; refused again: retried, shown as a configuration problem
RETRIED_CLIENT_ERRORS = (*REFUSED_CREDENTIALS, 408, 429)
ANSWER_CHARS = 300  # of the web app's answer kept in the outbox


class PushError(RuntimeError):
    """The web app did not take the push; the message says which call and what it answered.

    `status` is the HTTP status of the answer, None when there was no answer (timeout, no connection).
    """

    def __init__(self, message: str, status: int | None = None):
        super().__init__(message)
        self.status = status

    @property
    def permanent(self) -> bool:
        """A 4xx the web app means about the data itself: sending it again cannot help."""
        return self.status is not None and 400 <= self.status < 500 and self.status not in RETRIED_CLIENT_ERRORS


def _network_error(what: str, exc: requests.RequestException, timeout: float) -> PushError:
    if isinstance(exc, requests.Timeout):
        return PushError(f"{what}: timed out after {timeout:g} s")
    if isinstance(exc, requests.ConnectionError):
        return PushError(f"{what}: cannot connect to the web app ({type(exc).__name__})")
    return PushError(f"{what}: {type(exc).__name__}")


def _answer(response: requests.Response) -> str:
    """The web app's answer on one line, trimmed for the outbox and the logs."""
    return " ".join(response.text.split())[:ANSWER_CHARS]


class RealtimeRest:
    def __init__(self, base_url: str, user: str, password: str, timeout: float = 60.0):
        self.base = base_url if base_url.endswith("/") else base_url + "/"
        self.user, self.password, self.timeout = user, password, timeout
        self.session = self._new_session()
        self._logged_in = False

    @staticmethod
    def _new_session() -> requests.Session:
        session = requests.Session()
        session.headers["User-Agent"] = "InaSAFE-Realtime-processor"
        return session

    def url(self, path: str) -> str:
        return urljoin(self.base, path)

    def login(self) -> None:
        """Session login with CSRF; when the login page is not there, use HTTP Basic instead."""
        login_url = self.url("auth/login/")
        try:
            page = self.session.get(login_url, timeout=self.timeout)
            token = self.session.cookies.get("csrftoken")
            if page.status_code == 200 and token:
                answer = self.session.post(
                    login_url,
                    data={"username": self.user, "password": self.password, "csrfmiddlewaretoken": token, "next": self.base},
                    headers={"Referer": login_url, "X-CSRFTOKEN": token},
                    timeout=self.timeout,
                    allow_redirects=False,
                )
                if answer.status_code in (200, 302) and self.session.cookies.get("sessionid"):
                    self._logged_in = True
                    return
            self.session.auth = (self.user, self.password)
            self._logged_in = True
        except requests.RequestException as exc:
            raise _network_error(f"login at {login_url}", exc, self.timeout) from exc

    def relogin(self) -> None:
        """Drop the session (expired, or its CSRF token stale) and log in afresh."""
        self.session.close()
        self.session = self._new_session()
        self._logged_in = False
        self.login()

    def _send(self, method: str, path: str, headers: dict, kwargs: dict) -> requests.Response:
        if not self._logged_in:
            self.login()
        headers = dict(headers)
        token = self.session.cookies.get("csrftoken")
        if token:
            headers["X-CSRFTOKEN"] = token  # Django rotates it at login: read it fresh every call
        headers.setdefault("Referer", self.base)
        try:
            return self.session.request(method, self.url(path), headers=headers, timeout=self.timeout, **kwargs)
        except requests.RequestException as exc:
            raise _network_error(f"{method} {path}", exc, self.timeout) from exc

    def call(self, method: str, path: str, ok: tuple[int, ...] = (200, 201), **kwargs) -> requests.Response:
        """One API call; refused credentials get one fresh login and one more try."""
        headers = kwargs.pop("headers", {})
        response = self._send(method, path, headers, kwargs)
        if response.status_code in REFUSED_CREDENTIALS and response.status_code not in ok:
            log.info("%s %s: HTTP %d; logging in again", method, path, response.status_code)
            self.relogin()
            response = self._send(method, path, headers, kwargs)
        if response.status_code not in ok:
            raise PushError(f"{method} {path}: HTTP {response.status_code} {_answer(response)}", response.status_code)
        return response

    def upsert(self, detail_path: str, create_path: str, **kwargs) -> str:
        """PUT the record if it exists, POST it if not; returns which was done."""
        existing = self.call("GET", detail_path, ok=(200, 404))
        if existing.status_code == 200:
            self.call("PUT", detail_path, **kwargs)
            return "updated"
        self.call("POST", create_path, **kwargs)
        return "created"
