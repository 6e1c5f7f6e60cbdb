"""Paper pages: list, create, detail with the workflow panel, edit, attachments,
consultations (the blueprint "papers"; the paths stay under /vorlagen/)."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from werkzeug.wrappers import Response

from ..extensions import db
from ..forms import page_number
from ..workflow import ui
from ..workflow.forms import TransitionForm
from ..workflow.services import CommentRequired, WorkflowError
from . import files, services
from .forms import (
    AttachmentForm,
    ButtonForm,
    ConsultationForm,
    ConsultationResultForm,
    PaperEditForm,
    PaperForm,
)
from .models import Paper, PaperAttachment

bp = Blueprint("papers", __name__)


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
    page = request.args.get("page", 1, type=page_number) or 1
    pagination = db.paginate(
        services.visible_papers_query(current_user), page=max(page, 1), per_page=50, error_out=False
    )
    may_create = bool(services.creatable_bodies(current_user))
    return render_template(
        "papers/papers.html",
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
            return redirect(url_for("papers.paper", paper_id=paper.id))
    return render_template("papers/paper_form.html", form=form, paper=None)


def _render_detail(
    paper: Paper,
    failed: tuple[str, TransitionForm] | None = None,
    status: int = 200,
    attachment_form: AttachmentForm | None = None,
    consultation_form: ConsultationForm | None = None,
) -> tuple[str, int]:
    panel = ui.panel(
        current_user,
        paper,
        lambda name: url_for("papers.paper_transition", paper_id=paper.id, transition=name),
        failed=failed,
    )
    return (
        render_template(
            "papers/paper.html",
            paper=paper,
            panel=panel,
            may_edit=services.may_edit(current_user, paper),
            attachments=files.attachments_of(paper.id),
            may_attach=_may_attach(paper),
            decided=services.is_decided(paper),
            attachment_form=attachment_form or AttachmentForm(),
            remove_form=ButtonForm(),
            consultations=services.consultations_of(paper.id),
            consultation_form=consultation_form or _consultation_form(),
            result_form=_result_form(),
        ),
        status,
    )


def _attach_allowed(paper: Paper) -> bool:
    """The person may manage the paper's attachments (its state aside)."""
    return bool(current_user.is_staff or services.may_edit(current_user, paper))


def _may_attach(paper: Paper) -> bool:
    """The upload and remove controls are shown: allowed, and not concluded."""
    return _attach_allowed(paper) and not services.is_decided(paper)


def _consultation_form(formdata: object = None) -> ConsultationForm:
    from ..governance.bodies import list_bodies

    form = (
        ConsultationForm(formdata=formdata)
        if formdata is not None
        else ConsultationForm(formdata=None)
    )
    form.body_id.choices = [(b.id, b.name) for b in list_bodies()]
    form.role.choices = services.consultation_role_choices()
    return form


def _result_form() -> ConsultationResultForm:
    form = ConsultationResultForm(formdata=None)
    form.result.choices = services.consultation_result_choices()
    return form


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
        return redirect(url_for("papers.paper", paper_id=paper_id))
    paper = _load(paper_id)
    flash(
        _("Done: the paper is now in the state “%(state)s”.", state=ui.state_title(paper)),
        "success",
    )
    return redirect(url_for("papers.paper", paper_id=paper_id))


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
            return redirect(url_for("papers.paper", paper_id=paper.id))
    return render_template("papers/paper_form.html", form=form, paper=paper)


# --- attachments --------------------------------------------------------------------


@bp.route("/vorlagen/<int:paper_id>/anlagen", methods=["POST"])
@login_required
def attachment_add(paper_id: int) -> Response | tuple[str, int]:
    paper = _load(paper_id)
    if not _attach_allowed(paper):
        abort(403)
    if services.is_decided(paper):  # the controls are hidden; say why
        flash(services.decided_message(paper), "error")
        return redirect(url_for("papers.paper", paper_id=paper_id))
    form = AttachmentForm()
    if form.validate_on_submit():
        upload = form.file.data
        try:
            files.add_attachment(current_user, paper, upload.filename or "", upload.read())
        except files.AttachmentError as exc:
            if exc.field is None:  # the paper was concluded meanwhile
                flash(str(exc), "error")
                return redirect(url_for("papers.paper", paper_id=paper_id))
            form.file.errors = [*form.file.errors, str(exc)]
        else:
            flash(_("The file was attached."), "success")
            return redirect(url_for("papers.paper", paper_id=paper_id))
    return _render_detail(paper, status=422, attachment_form=form)


def _load_attachment(paper_id: int, attachment_id: int) -> tuple[Paper, PaperAttachment]:
    paper = _load(paper_id)
    attachment = db.session.get(PaperAttachment, attachment_id)
    if attachment is None or attachment.paper_id != paper.id:
        abort(404)
    return paper, attachment


@bp.route("/vorlagen/<int:paper_id>/anlagen/<int:attachment_id>")
@login_required
def attachment(paper_id: int, attachment_id: int) -> Response:
    _paper, item = _load_attachment(paper_id, attachment_id)
    response = files.send_attachment(item)  # 404 when the stored file is missing
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


@bp.route("/vorlagen/<int:paper_id>/anlagen/<int:attachment_id>/entfernen", methods=["POST"])
@login_required
def attachment_remove(paper_id: int, attachment_id: int) -> Response:
    paper, item = _load_attachment(paper_id, attachment_id)
    if not _attach_allowed(paper):
        abort(403)
    if ButtonForm().validate_on_submit():
        try:
            files.remove_attachment(current_user, item)
        except files.AttachmentError as exc:
            flash(str(exc), "error")
        else:
            flash(_("The file was removed."), "success")
    return redirect(url_for("papers.paper", paper_id=paper_id))


# --- consultations ------------------------------------------------------------------


@bp.route("/vorlagen/<int:paper_id>/beratungen", methods=["POST"])
@login_required
def consultation_add(paper_id: int) -> Response | tuple[str, int]:
    paper = _load(paper_id)
    if not current_user.is_staff:
        abort(403)
    form = _consultation_form(request.form)
    if form.validate_on_submit():
        try:
            services.add_consultation(
                current_user, paper, body_id=form.body_id.data, role=form.role.data
            )
        except services.PaperError as exc:
            target = form[exc.field] if exc.field and exc.field in form else None
            if target is not None:
                target.errors = [*target.errors, str(exc)]
            else:
                flash(str(exc), "error")
        else:
            flash(_("The consultation was added."), "success")
            return redirect(url_for("papers.paper", paper_id=paper_id))
    return _render_detail(paper, status=422, consultation_form=form)


@bp.route("/vorlagen/<int:paper_id>/beratungen/<int:consultation_id>", methods=["POST"])
@login_required
def consultation_result(paper_id: int, consultation_id: int) -> Response:
    paper = _load(paper_id)
    if not current_user.is_staff:
        abort(403)
    form = ConsultationResultForm()
    form.result.choices = services.consultation_result_choices()
    if not form.validate_on_submit():
        flash(_("Please choose a result."), "error")
        return redirect(url_for("papers.paper", paper_id=paper_id))
    if consultation_id not in {c.id for c in services.consultations_of(paper.id)}:
        abort(404)
    try:
        services.set_consultation_result(consultation_id, form.result.data, actor=current_user)
    except services.PaperError as exc:
        flash(str(exc), "error")
    else:
        flash(_("The result was recorded."), "success")
    return redirect(url_for("papers.paper", paper_id=paper_id))
