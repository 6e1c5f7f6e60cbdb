"""The decisions register and implementation tracking (Beschlusskontrolle)."""
