"""Education monitoring: dashboard of the feedback, indicators, report."""
