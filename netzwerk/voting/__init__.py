"""Polls, ballots, majority rules and circular resolutions (Umlaufverfahren)."""
