"""The one WeasyPrint helper of the application.

Every PDF (monitoring report, minutes, invitations) is rendered here:

* one font configuration per process, reused by every render (building it
  scans the system fonts);
* a URL fetcher that answers only the application's own static files
  (``BASE_URL + "static/..."``); every other URL – another host, ``file:``,
  ``data:``, ``ftp:``, a path that climbs out of the static folder – is
  refused, so nothing a document contains can reach the file system or the
  network;
* the archival options (PDF/A variant, tags, metadata, attachments) in one
  call.
"""

from __future__ import annotations

import io
import mimetypes
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

BASE_URL = "https://netzwerk.invalid/"
STATIC_PREFIX = BASE_URL + "static/"


class FetchRefused(ValueError):
    """A document asked for a URL outside the application's static files."""


def static_only_fetcher(static_folder: Path) -> Any:
    """A WeasyPrint URL fetcher serving the app's own static files and nothing else.

    Relative URLs resolve against BASE_URL; only ``BASE_URL + "static/..."``
    is answered, from the static folder on disk.  Any other URL is refused
    with :class:`FetchRefused` (WeasyPrint logs it and leaves the resource
    out), so a document never makes a network request or reads another file.
    """
    from weasyprint.urls import URLFetcher, URLFetcherResponse

    root = static_folder.resolve()

    class StaticOnly(URLFetcher):  # type: ignore[misc]
        def fetch(self, url: str, headers: Any = None) -> Any:
            if url.startswith(STATIC_PREFIX):
                parsed = urlparse(url)
                relative = unquote(parsed.path[len("/static/") :])
                if relative and not parsed.query and "\x00" not in relative:
                    candidate = (root / relative).resolve()
                    if candidate.is_file() and root in candidate.parents:
                        mime = mimetypes.guess_type(candidate.name)[0] or "application/octet-stream"
                        return URLFetcherResponse(
                            url, candidate.read_bytes(), {"Content-Type": mime}, 200
                        )
            raise FetchRefused(f"refused to fetch {url!r}: only the app's static files")

    return StaticOnly()


_font_lock = threading.Lock()
_font_config: Any = None


def font_config() -> Any:
    """The process-wide FontConfiguration (built once, reused by every render)."""
    global _font_config
    if _font_config is None:
        with _font_lock:
            if _font_config is None:
                from weasyprint.text.fonts import FontConfiguration

                _font_config = FontConfiguration()
    return _font_config


def _static_folder() -> Path:
    from flask import current_app

    return Path(current_app.static_folder or "static")


@dataclass(frozen=True)
class PdfAttachment:
    """A file embedded in the PDF (PDF/A-3 associated file)."""

    name: str
    data: bytes
    description: str
    relationship: str = "Data"


def _xmp_language(lang: str) -> bytes:
    """An XMP packet with dc:language (WeasyPrint writes /Lang, not the XMP entry)."""
    from xml.sax.saxutils import escape

    return (
        b'<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
        b'<rdf:Description rdf:about="" xmlns:dc="http://purl.org/dc/elements/1.1/">'
        b"<dc:language><rdf:Bag><rdf:li>"
        + escape(lang).encode()
        + b"</rdf:li></rdf:Bag></dc:language></rdf:Description></rdf:RDF>"
    )


def render(
    html: str,
    *,
    static_folder: Path | None = None,
    pdf_variant: str | None = None,
    pdf_tags: bool = False,
    lang: str | None = None,
    attachments: Sequence[PdfAttachment] = (),
    identifier: bytes | None = None,
) -> bytes:
    """Render an HTML string to PDF bytes with the static-only fetcher.

    ``pdf_variant`` is a WeasyPrint variant such as ``"pdf/a-3b"``;
    ``lang`` also goes into the XMP metadata (dc:language).  Title, author
    and the document language come from the HTML (``<title>``,
    ``<meta name=author>``, ``<html lang>``).
    """
    from weasyprint import HTML, Attachment

    fetcher = static_only_fetcher(static_folder or _static_folder())
    document = HTML(string=html, base_url=BASE_URL, url_fetcher=fetcher)
    options: dict[str, Any] = {
        "font_config": font_config(),
        "pdf_tags": pdf_tags,
    }
    if pdf_variant:
        options["pdf_variant"] = pdf_variant
    if identifier:
        options["pdf_identifier"] = identifier
    if lang:
        options["xmp_metadata"] = [io.BytesIO(_xmp_language(lang))]
    if attachments:
        options["attachments"] = [
            Attachment(
                string=a.data,
                base_url=BASE_URL,
                url_fetcher=fetcher,
                name=a.name,
                description=a.description,
                relationship=a.relationship,
            )
            for a in attachments
        ]
    return bytes(document.write_pdf(**options))
