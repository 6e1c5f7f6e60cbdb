"""Search: one box for papers, decisions, action items, minutes, meetings,
projects and (for staff) feedback, in German that works.

See :mod:`.analysis` (folding, stems, snippets), :mod:`.index` (kept in the
same transaction as every change), :mod:`.query` (ranked, filtered by the
visibility policy, with facets) and :mod:`.sources` (what each kind offers).
"""

from __future__ import annotations

from typing import Any


def init_app(app: Any) -> None:
    """Keep the index with every change (session events, workflow signal);
    compact SQLite's full-text index at night."""
    from ..scheduler import register_job
    from . import index

    app.config.setdefault("NETZWERK_SEARCH_INDEX", True)
    index.listen()
    register_job("search.compact", "cron", hour=4, minute=7)(index.compact)
