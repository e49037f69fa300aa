"""A person's session with the hub over HTTPS through Traefik, as plain HTTP (requests).

It does what a browser does: keeps cookies, sends JupyterHub 5's `_xsrf` token with every form
and cookie-authenticated API call, follows redirects. The self-signed certificate is accepted
on purpose (verify=False).
"""

from __future__ import annotations

import html
import re
import time
from typing import Any, Final

import requests

_FORM_XSRF: Final = re.compile(r'name="_xsrf"\s+value="([^"]+)"')
_ALERT: Final = re.compile(r'<div[^>]*class="[^"]*alert[^"]*"[^>]*>(.*?)</div>', re.S)
_LOGIN_ERROR: Final = re.compile(r'<p class="login_error">(.*?)</p>', re.S)


class HubClient:
    """One user's cookies and tokens against one hub URL (e.g. https://localhost:8443/jupyterhub)."""

    def __init__(self, url: str) -> None:
        self.url = url.rstrip("/")
        self.http = requests.Session()
        self.http.verify = False
        # Otherwise REQUESTS_CA_BUNDLE in the environment would override verify=False.
        self.http.trust_env = False
        self.xsrf = ""
        self.token = ""

    # --- pages and forms, as a browser -----------------------------------------------------
    def page(self, path: str, *, follow: bool = True) -> requests.Response:
        response = self.http.get(self.url + path, allow_redirects=follow, timeout=30)
        self._remember_xsrf(response)
        return response

    def submit(self, path: str, fields: dict[str, str]) -> requests.Response:
        """Open the page holding a form, then post the form with its _xsrf (no redirects)."""
        self.page(path)
        response = self.http.post(
            self.url + path, data={**fields, "_xsrf": self.xsrf}, allow_redirects=False, timeout=60
        )
        self._remember_xsrf(response)
        return response

    def _remember_xsrf(self, response: requests.Response) -> None:
        for step in [*response.history, response]:
            if "_xsrf" in step.cookies:
                self.xsrf = step.cookies["_xsrf"]
        found = (
            _FORM_XSRF.search(response.text)
            if "text/html" in response.headers.get("Content-Type", "")
            else None
        )
        if found:
            self.xsrf = html.unescape(found.group(1))

    # --- accounts ---------------------------------------------------------------------------
    def sign_up(self, username: str, password: str) -> str:
        """Submit the sign-up form; the message the page shows."""
        response = self.submit(
            "/hub/signup",
            {
                "username": username,
                "signup_password": password,
                "signup_password_confirmation": password,
            },
        )
        return alert_text(response.text)

    def log_in(self, username: str, password: str) -> requests.Response:
        """Submit the login form; a 302 means the hub let the user in."""
        response = self.submit("/hub/login", {"username": username, "password": password})
        if response.status_code == 302:
            # The session changed: the next page view sets the _xsrf that goes with it.
            self.page("/hub/home")
        return response

    def is_logged_in(self) -> bool:
        return self.page("/hub/home", follow=False).status_code == 200

    def create_token(self, username: str) -> str:
        """An API token for `username` (a logged-in user asks for their own)."""
        response = self.http.post(
            f"{self.url}/hub/api/users/{username}/tokens",
            json={"note": "e2e", "expires_in": 3600},
            headers={"X-XSRFToken": self.xsrf},
            timeout=30,
        )
        response.raise_for_status()
        self.token = response.json()["token"]
        return self.token

    # --- the hub's REST API with the token --------------------------------------------------
    def api(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        headers = {"Authorization": f"token {self.token}", **kwargs.pop("headers", {})}
        return self.http.request(
            method, f"{self.url}/hub/api{path}", headers=headers, timeout=60, **kwargs
        )

    def start_server(self, username: str, *, timeout_s: float = 180) -> dict[str, Any]:
        """Start the user's default server and wait until the hub calls it ready."""
        response = self.api("POST", f"/users/{username}/server")
        assert response.status_code in (201, 202, 400), response.text  # 400: already running
        return self.wait_server(username, ready=True, timeout_s=timeout_s)

    def stop_server(self, username: str, *, timeout_s: float = 120) -> None:
        response = self.api("DELETE", f"/users/{username}/server")
        assert response.status_code in (202, 204), response.text
        self.wait_server(username, ready=False, timeout_s=timeout_s)

    def wait_server(self, username: str, *, ready: bool, timeout_s: float) -> dict[str, Any]:
        deadline = time.monotonic() + timeout_s
        model: dict[str, Any] = {}
        while time.monotonic() < deadline:
            model = self.api("GET", f"/users/{username}").json()
            server = model.get("servers", {}).get("")
            if ready and server and server.get("ready"):
                return model
            if not ready and not server:
                return model
            if ready and not server and not model.get("pending"):
                raise AssertionError(f"the server of {username} stopped while starting: {model}")
            time.sleep(1)
        raise AssertionError(f"server of {username} not {'ready' if ready else 'gone'}: {model}")

    # --- the user's lab, through the proxy --------------------------------------------------
    def lab(self, method: str, username: str, path: str, **kwargs: Any) -> requests.Response:
        return self.http.request(
            method,
            f"{self.url}/user/{username}{path}",
            headers={"Authorization": f"token {self.token}"},
            allow_redirects=False,
            timeout=60,
            **kwargs,
        )


def alert_text(page: str) -> str:
    """The text of the first alert box on a page (NativeAuthenticator's sign-up messages)."""
    found = _ALERT.search(page)
    return _text(found.group(1) if found else page)


def login_error(page: str) -> str:
    """The error the login page shows, or "" when it shows none."""
    found = _LOGIN_ERROR.search(page)
    return _text(found.group(1)) if found else ""


def _text(fragment: str) -> str:
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", fragment)).split())
