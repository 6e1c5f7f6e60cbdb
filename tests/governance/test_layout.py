"""The login services (netzwerk.auth.logins) depend on governance, never the
other way round at module level: only governance's view modules call them."""

from __future__ import annotations

from test_import_hygiene import PACKAGE, _imports

LOGINS = "netzwerk.auth.logins"


def test_only_governance_views_import_the_login_services():
    importers = sorted(
        f"netzwerk.governance.{path.stem}"
        for path in (PACKAGE / "governance").glob("*.py")
        if LOGINS in _imports(path, f"netzwerk.governance.{path.stem}")
    )
    assert importers == ["netzwerk.governance.login_views"]
    imported = _imports(PACKAGE / "auth" / "logins.py", LOGINS)
    assert not [m for m in imported if m.startswith("netzwerk.governance") and "views" in m]
