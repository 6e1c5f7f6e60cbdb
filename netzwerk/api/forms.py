from __future__ import annotations

from ..forms import Form


class FeedTokenForm(Form):
    """Make a new private feed URL or revoke it (a bare POST, CSRF only)."""
