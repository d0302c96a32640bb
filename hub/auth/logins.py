"""What the web app needs for logins, made once per hub from its settings."""

from __future__ import annotations

from dataclasses import dataclass

from config.hub import AuthSettings
from hub.auth.passwords import Passwords
from hub.auth.ratelimit import LoginLimiter
from hub.auth.store import UserStore


@dataclass
class Logins:
    settings: AuthSettings
    users: UserStore
    limiter: LoginLimiter

    @classmethod
    def from_settings(cls, settings: AuthSettings, passwords: Passwords | None = None) -> Logins:
        return cls(
            settings,
            UserStore.from_settings(settings, passwords),
            LoginLimiter(
                settings.login_failures_allowed,
                settings.login_window_s,
                failures_per_address=settings.login_failures_per_address,
            ),
        )
