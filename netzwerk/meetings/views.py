"""Paper pages: list, create, detail with the workflow panel, edit."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from werkzeug.wrappers import Response

from ..extensions import db
from ..workflow import ui
from ..workflow.forms import TransitionForm
from ..workflow.services import CommentRequired, WorkflowError
from . import services
from .forms import PaperEditForm, PaperForm
from .models import Paper

bp = Blueprint("meetings", __name__)


def _load(paper_id: int) -> Paper:
    paper = services.get_paper(paper_id)
    if paper is None:
        abort(404)
    if not services.may_view(current_user, paper):
        abort(403)
    return paper


@bp.route("/vorlagen/")
@login_required
def papers() -> str:
    page = request.args.get("page", 1, type=int) or 1
    pagination = db.paginate(
        services.visible_papers_query(current_user), page=max(page, 1), per_page=50, error_out=False
    )
    may_create = bool(services.creatable_bodies(current_user))
    return render_template(
        "meetings/papers.html",
        pagination=pagination,
        may_create=may_create,
        state_titles=services.state_titles(pagination.items),
    )


@bp.route("/vorlagen/neu", methods=["GET", "POST"])
@login_required
def paper_new() -> str | Response:
    bodies = services.creatable_bodies(current_user)
    if not bodies:
        abort(403)
    form = PaperForm()
    form.kind.choices = services.paper_kind_choices()
    form.body_id.choices = [(b.id, b.name) for b in bodies]
    if request.method == "GET" and form.kind.data is None:
        form.kind.data = "resolution"
    if form.validate_on_submit():
        try:
            paper = services.create_paper(
                current_user,
                body_id=form.body_id.data,
                kind=form.kind.data,
                title=form.title.data,
                text=form.text.data or "",
                public=form.public.data,
            )
        except (services.PaperError, WorkflowError) as exc:
            field = getattr(exc, "field", None)
            if field and field in form:
                form[field].errors = [*form[field].errors, str(exc)]
            else:
                flash(str(exc), "error")
        else:
            flash(_("The paper was created as a draft."), "success")
            return redirect(url_for("meetings.paper", paper_id=paper.id))
    return render_template("meetings/paper_form.html", form=form, paper=None)


def _render_detail(
    paper: Paper, failed: tuple[str, TransitionForm] | None = None, status: int = 200
) -> tuple[str, int]:
    panel = ui.panel(
        current_user,
        paper,
        lambda name: url_for("meetings.paper_transition", paper_id=paper.id, transition=name),
        failed=failed,
    )
    return (
        render_template(
            "meetings/paper.html",
            paper=paper,
            panel=panel,
            may_edit=services.may_edit(current_user, paper),
        ),
        status,
    )


@bp.route("/vorlagen/<int:paper_id>")
@login_required
def paper(paper_id: int) -> tuple[str, int]:
    return _render_detail(_load(paper_id))


@bp.route("/vorlagen/<int:paper_id>/schritt/<transition>", methods=["POST"])
@login_required
def paper_transition(paper_id: int, transition: str) -> Response | tuple[str, int]:
    paper = _load(paper_id)
    form = ui.transition_form(transition)
    if not form.validate_on_submit():
        return _render_detail(paper, failed=(transition, form))
    try:
        ui.fire_from_form(current_user, paper, transition, form)
    except CommentRequired as exc:
        form.comment.errors = [str(exc)]
        return _render_detail(paper, failed=(transition, form))
    except WorkflowError as exc:
        flash(str(exc), "error")
        return redirect(url_for("meetings.paper", paper_id=paper_id))
    paper = _load(paper_id)
    flash(
        _("Done: the paper is now in the state “%(state)s”.", state=ui.state_title(paper)),
        "success",
    )
    return redirect(url_for("meetings.paper", paper_id=paper_id))


@bp.route("/vorlagen/<int:paper_id>/bearbeiten", methods=["GET", "POST"])
@login_required
def paper_edit(paper_id: int) -> str | Response:
    paper = _load(paper_id)
    if not services.may_edit(current_user, paper):
        abort(403)
    form = PaperEditForm(obj=paper)
    if form.validate_on_submit():
        try:
            services.update_paper(
                current_user,
                paper,
                title=form.title.data,
                text=form.text.data or "",
                public=form.public.data,
            )
        except services.PaperError as exc:
            if exc.field and exc.field in form:
                form[exc.field].errors = [*form[exc.field].errors, str(exc)]
            else:
                flash(str(exc), "error")
        else:
            flash(_("The paper was saved."), "success")
            return redirect(url_for("meetings.paper", paper_id=paper.id))
    return render_template("meetings/paper_form.html", form=form, paper=paper)
