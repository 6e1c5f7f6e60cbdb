"""Accounts, login sessions, global roles and security headers."""
