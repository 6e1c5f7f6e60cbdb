"""Imports every model module, so that the metadata knows all tables.

Alembic's autogenerate and the schema comparison test rely on this list:
a new domain package adds its models module here.
"""

from .audit import models as audit_models  # noqa: F401
from .auth import models as auth_models  # noqa: F401
from .governance import models as governance_models  # noqa: F401
from .mail import models as mail_models  # noqa: F401
