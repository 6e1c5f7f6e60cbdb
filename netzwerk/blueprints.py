"""Every blueprint of the application, registered in this order."""

from .api.views import bp as api_bp
from .auth.views import bp as auth_bp
from .counselling.views import bp as counselling_bp
from .decisions.views import bp as decisions_bp
from .feedback.views import bp as feedback_bp
from .funding.views import bp as funding_bp
from .governance.views import bp as governance_bp
from .governance.workflow_views import bp as workflow_bp
from .mail.views import bp as mail_bp
from .main.views import bp as main_bp
from .meetings.cockpit_views import bp as meeting_live_bp
from .meetings.views import bp as meetings_bp
from .minutes.views import bp as minutes_bp
from .monitoring.views import bp as monitoring_bp
from .notifications.views import bp as notifications_bp
from .papers.views import bp as papers_bp
from .projects.portal_views import bp as partner_portal_bp
from .projects.views import bp as projects_bp
from .reports.views import bp as reports_bp
from .search.views import bp as search_bp
from .voting.meeting_views import bp as voting_meeting_bp
from .voting.views import bp as voting_bp

BLUEPRINTS = [
    main_bp,
    auth_bp,
    governance_bp,
    mail_bp,
    counselling_bp,
    workflow_bp,
    papers_bp,
    meetings_bp,
    meeting_live_bp,
    voting_bp,
    voting_meeting_bp,
    decisions_bp,
    feedback_bp,
    monitoring_bp,
    projects_bp,
    reports_bp,
    funding_bp,
    partner_portal_bp,
    api_bp,
    minutes_bp,
    notifications_bp,
    search_bp,
]
