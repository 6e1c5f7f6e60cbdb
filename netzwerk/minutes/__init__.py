"""Minutes: drafted from the meeting, approved, archived as PDF/A."""
