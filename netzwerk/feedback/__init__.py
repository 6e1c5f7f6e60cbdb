"""The public feedback system (Rückmeldesystem) and its triage by the Bildungsbüro.

Anonymous by default: no IP address or user agent is stored with feedback;
contact details exist only with explicit consent, in their own table, and are
deleted by the scheduler after NETZWERK_FEEDBACK_RETENTION_DAYS.
"""
