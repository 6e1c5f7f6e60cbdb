"""Browser tests (Playwright on the system Chromium)."""
