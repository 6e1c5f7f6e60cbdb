"""Imports every module that registers scheduler jobs.

A domain package with timed work adds its ``jobs`` module here.
"""

from .auth import jobs as auth_jobs  # noqa: F401
from .counselling import jobs as counselling_jobs  # noqa: F401
from .decisions import jobs as decisions_jobs  # noqa: F401
from .feedback import jobs as feedback_jobs  # noqa: F401
from .mail import jobs as mail_jobs  # noqa: F401
from .projects import jobs as projects_jobs  # noqa: F401
from .voting import jobs as voting_jobs  # noqa: F401
from .workflow import jobs as workflow_jobs  # noqa: F401
