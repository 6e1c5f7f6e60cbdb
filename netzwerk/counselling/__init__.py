"""Counselling (Bildungsberatung) and transition management.

A directory of education offers, a pseudonymous log of counselling contacts
and referrals (Weitervermittlung) with follow-ups, reminders, a waiting-loop
flag and suppressed figures for the monitoring.
"""
