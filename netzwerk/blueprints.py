"""Every blueprint of the application, registered in this order."""

from .auth.views import bp as auth_bp
from .governance.views import bp as governance_bp
from .mail.views import bp as mail_bp
from .main.views import bp as main_bp

BLUEPRINTS = [main_bp, auth_bp, governance_bp, mail_bp]
