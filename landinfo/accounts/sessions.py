"""Django's database sessions, whose API tokens follow them to a rotated key.

`SESSION_ENGINE` names this module. A token checks at each use, by the session's key, that
the session that made it still exists (tokens.session_lives). `cycle_key()` gives the same
session a new key (in `login()` from an anonymous session, in `get_user()` when the secret
key was retired to the fallbacks, in `update_session_auth_hash()`), and its tokens must
live on. Every rotation goes through `cycle_key()`, and none sends a signal.
"""

from __future__ import annotations

from django.contrib.sessions.backends.db import SessionStore as DatabaseSessionStore

from landinfo.models import ApiToken


class SessionStore(DatabaseSessionStore):
    def cycle_key(self) -> None:
        old = self.session_key
        super().cycle_key()
        _follow(old, self.session_key)

    async def acycle_key(self) -> None:
        old = self.session_key
        await super().acycle_key()
        await _afollow(old, self.session_key)


def _follow(old: str | None, new: str | None) -> None:
    if old and new:
        ApiToken.objects.filter(session_key=old).update(session_key=new)


async def _afollow(old: str | None, new: str | None) -> None:
    if old and new:
        await ApiToken.objects.filter(session_key=old).aupdate(session_key=new)
