"""Imports every model module, so that the metadata knows all tables.

Alembic's autogenerate and the schema comparison test rely on this list:
a new domain package adds its models module here.
"""

from .api import models as api_models  # noqa: F401
from .audit import models as audit_models  # noqa: F401
from .auth import models as auth_models  # noqa: F401
from .counselling import models as counselling_models  # noqa: F401
from .decisions import models as decisions_models  # noqa: F401
from .feedback import models as feedback_models  # noqa: F401
from .funding import models as funding_models  # noqa: F401
from .governance import models as governance_models  # noqa: F401
from .mail import models as mail_models  # noqa: F401
from .meetings import models as meetings_models  # noqa: F401
from .minutes import models as minutes_models  # noqa: F401
from .monitoring import models as monitoring_models  # noqa: F401
from .notifications import models as notifications_models  # noqa: F401
from .papers import models as papers_models  # noqa: F401
from .projects import models as projects_models  # noqa: F401
from .reports import models as reports_models  # noqa: F401
from .search import models as search_models  # noqa: F401
from .voting import models as voting_models  # noqa: F401
from .workflow import models as workflow_models  # noqa: F401
