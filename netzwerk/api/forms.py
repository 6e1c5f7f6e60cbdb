from __future__ import annotations

from flask_wtf import FlaskForm


class FeedTokenForm(FlaskForm):
    """Make a new private feed URL or revoke it (a bare POST, CSRF only)."""
