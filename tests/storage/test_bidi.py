"""Finding of issue #18: no bidi control character survives in a stored
file name or title, so none can turn the text around it."""

from __future__ import annotations

import pytest
from meetings.helpers import paper_for_decision
from sqlalchemy import select

from netzwerk.extensions import db
from netzwerk.papers import files
from netzwerk.papers.models import PaperAttachment
from netzwerk.rules import RuleError, checked_text, without_bidi_controls

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
EMBEDDINGS = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
MARKS = "\u200e\u200f\u061c"


class SampleError(RuleError):
    pass


@pytest.mark.parametrize("control", EMBEDDINGS + MARKS)
def test_file_names_lose_every_bidi_control(control):
    assert files.clean_filename(f"Be{control}richt{control}.pdf") == "Bericht.pdf"


def test_a_name_that_hides_its_extension_shows_the_real_one():
    # Shown as "Rechnungexe.pdf" while it ends in .exe.
    assert files.clean_filename("Rechnung\u202efdp.exe") == "Rechnungfdp.exe"
    assert files.clean_filename("\u202e\u2066") == "datei"


def test_an_uploaded_file_is_stored_under_its_clean_name(app_ctx, demo):
    from conftest import demo_user

    paper = paper_for_decision()
    office = demo_user("office")
    attachment = files.add_attachment(office, paper, "\u2067Antrag\u200f\u2069.pdf", PDF)
    assert attachment.filename == "Antrag.pdf"
    with pytest.raises(files.AttachmentError):  # the hidden .exe is seen
        files.add_attachment(office, paper, "Antrag\u202efdp.exe", PDF)
    names = db.session.scalars(select(PaperAttachment.filename)).all()
    assert names == ["Antrag.pdf"]


@pytest.mark.parametrize("control", EMBEDDINGS)
def test_titles_lose_embeddings_overrides_and_isolates(app_ctx, control):
    title = f" Haushalt {control}2027{control} "
    assert checked_text(title, "title", 300, error=SampleError) == "Haushalt 2027"


def test_a_title_of_controls_only_is_empty(app_ctx):
    with pytest.raises(SampleError) as refused:
        checked_text("\u202e \u2066", "title", 300, error=SampleError, required=True)
    assert refused.value.field == "title"


def test_titles_keep_direction_marks_and_right_to_left_words(app_ctx):
    # Marks cannot reorder what follows the title; Arabic text stays as written.
    title = "Elternabend \u200fمساء الخير\u200f"
    assert checked_text(title, "title", 300, error=SampleError) == title
    assert without_bidi_controls(title, marks=True) == "Elternabend مساء الخير"
