"""Imports every module that registers scheduler jobs.

A domain package with timed work adds its ``jobs`` module here.
"""

from .auth import jobs as auth_jobs  # noqa: F401
from .mail import jobs as mail_jobs  # noqa: F401
