"""Open interfaces: OParl 1.1, iCalendar feeds and CSV exports."""
