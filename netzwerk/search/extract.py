"""The text of an attached file, for the index: PDF, DOCX, ODT and plain
text.  Read once per file (by its SHA-256) and kept in ``search_file_text``.

Nothing here trusts the file: the extraction reads at most a bounded amount
(pages, uncompressed bytes), never parses XML with entities (the markup is
stripped by pattern), and any failure yields no text rather than an error:
an unreadable attachment is still attached, it is only not searchable.
"""

from __future__ import annotations

import html
import io
import logging
import re
import shutil
import subprocess
import zipfile

log = logging.getLogger(__name__)

MAX_PDF_PAGES = 300
MAX_XML_BYTES = 20 * 1024 * 1024
MAX_TEXT = 300_000
PDFTOTEXT_TIMEOUT = 30

_PARAGRAPH_END = re.compile(
    r"</(?:w:p|text:p|text:h)>|<(?:w:br|w:tab|text:line-break|text:tab)\b[^>]*/?>"
)
_TAG = re.compile(r"<[^>]*>")


def read_file(sha256: str) -> bytes:
    """The stored attachment ``sha256`` (empty when it cannot be read)."""
    from ..storage import uploads

    try:
        return uploads().read(sha256)
    except (LookupError, OSError, ValueError) as exc:
        log.warning("search: file %s not readable: %s", sha256[:12], exc)
        return b""


def text_of(data: bytes, content_type: str) -> str:
    if not data:
        return ""
    try:
        if content_type == "application/pdf":
            found = _pdf(data)
        elif content_type.endswith("wordprocessingml.document"):
            found = _zipped_xml(data, "word/document.xml")
        elif content_type == "application/vnd.oasis.opendocument.text":
            found = _zipped_xml(data, "content.xml")
        elif content_type.startswith("text/"):
            found = data[: MAX_TEXT * 4].decode("utf-8", errors="replace")
        else:
            found = ""
    except Exception as exc:  # a broken file is not searchable, nothing more
        log.warning("search: no text from a %s file: %s", content_type, exc)
        found = ""
    return re.sub(r"[ \t\r\f\v]+", " ", found).strip()[:MAX_TEXT]


def _pdf(data: bytes) -> str:
    """Poppler's ``pdftotext`` where it is installed (ten times faster on
    real documents), else pypdf."""
    tool = shutil.which("pdftotext")
    if tool:
        done = subprocess.run(  # noqa: S603 - a fixed tool, the file on stdin
            [tool, "-q", "-enc", "UTF-8", "-l", str(MAX_PDF_PAGES), "-", "-"],
            input=data,
            capture_output=True,
            timeout=PDFTOTEXT_TIMEOUT,
            check=False,
        )
        if done.returncode == 0:
            return done.stdout[: MAX_TEXT * 4].decode("utf-8", errors="replace")
    return _pdf_by_pypdf(data)


def _pdf_by_pypdf(data: bytes) -> str:
    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(data))
    parts = []
    for page in reader.pages[:MAX_PDF_PAGES]:
        parts.append(page.extract_text() or "")
        if sum(len(p) for p in parts) > MAX_TEXT:
            break
    return "\n".join(parts)


def _zipped_xml(data: bytes, member: str) -> str:
    with zipfile.ZipFile(io.BytesIO(data)) as archive, archive.open(member) as stream:
        xml = stream.read(MAX_XML_BYTES).decode("utf-8", errors="replace")
    xml = _PARAGRAPH_END.sub("\n", xml)
    return html.unescape(_TAG.sub("", xml))
