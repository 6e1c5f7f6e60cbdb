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
  call;
* the memory and time a long document costs kept down without changing a
  byte of what is drawn: the cyclic garbage collector skips the objects
  that existed before the render (:func:`_gc_scope`), the user-agent
  stylesheet does not give every element six pseudo-element styles it
  never uses (:func:`_html_class`), each page's content
  stream is compressed as soon as the page is painted
  (:func:`_pack_after_paint`), and the writer compresses every stream once
  (:func:`_write_object_streams`).
"""

from __future__ import annotations

import functools
import gc
import mimetypes
import re
import threading
import zlib
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
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


def _language_description(lang: str) -> bytes:
    """An rdf:Description with dc:language (WeasyPrint writes /Lang, not the XMP entry)."""
    from xml.sax.saxutils import escape

    return (
        b'<rdf:Description rdf:about="" xmlns:dc="http://purl.org/dc/elements/1.1/">'
        b"<dc:language><rdf:Bag><rdf:li>"
        + escape(lang).encode()
        + b"</rdf:li></rdf:Bag></dc:language></rdf:Description>"
    )


# Objects per object stream.  pydyf writes all of a document's objects into
# one stream; readers that find an object by walking the stream's index
# (pyHanko, pypdf) then take time that grows with the square of the count:
# seconds for a few pages, minutes for a tagged 80-page document.
OBJECTS_PER_STREAM = 100


def _finisher(lang: str | None) -> Any:
    """Post-processing of WeasyPrint's PDF before it is written (``finisher=``).

    * dc:language goes into the XMP packet's one ``rdf:RDF`` (passing an
      extra packet through ``xmp_metadata`` adds a second ``rdf:RDF``, which
      XMP readers ignore);
    * each embedded file appears once in the catalogue's ``/AF`` (WeasyPrint
      70 lists it twice: once from the name tree, once as a file spec);
    * object streams of at most :data:`OBJECTS_PER_STREAM` objects;
    * the laid-out pages are let go: everything is drawn and tagged by now,
      and the writer reuses their memory (2-3 MB less peak RSS at 80 pages).
    """

    def finish(document: Any, pdf: Any) -> None:
        catalog = pdf.catalog
        if lang and "Metadata" in catalog:
            stream = pdf.objects[int(catalog["Metadata"].split()[0])]
            content = b"".join(
                part if isinstance(part, bytes) else str(part).encode() for part in stream.stream
            )
            end = content.rfind(b"</rdf:RDF>")
            if end != -1:
                stream.stream = [content[:end] + _language_description(lang) + content[end:]]
        if "AF" in catalog:
            seen: list[Any] = []
            for reference in catalog["AF"]:
                if reference not in seen:
                    seen.append(reference)
            catalog["AF"][:] = seen
        pdf.write = _chunked_writer(pdf)
        document.pages.clear()
        gc.collect()

    return finish


def _chunked_writer(pdf: Any) -> Any:
    """pydyf's ``PDF.write`` with object streams of a bounded size."""
    import pydyf

    original = pdf.write

    def write(output: Any, version: Any = b"1.7", identifier: Any = False, compress: bool = False):  # type: ignore[no-untyped-def]
        version = pydyf._to_bytes(version or b"1.7")
        if not (compress and version >= b"1.5"):
            return original(output, version, identifier, compress)
        return _write_object_streams(pdf, output, version, identifier, pydyf)

    return write


def _write_object_streams(
    pdf: Any, output: Any, version: bytes, identifier: Any, pydyf: Any
) -> None:
    """pydyf's compressed writing with object streams of a bounded size.

    The file identifier is the MD5 of the file up to the cross-reference
    stream, taken while writing.  (pydyf takes it from a second
    serialisation of every object, which compresses every stream a second
    time and holds all of them in one string.)
    """
    from hashlib import md5
    from math import ceil, log

    if identifier not in (False, True, None):
        identifier = pydyf._to_bytes(identifier)
    if pdf.info:
        pdf.add_object(pdf.info)
    digest = md5(usedforsecurity=False)

    def emit(content: bytes) -> None:
        digest.update(content + b"\n")
        pdf.write_line(content, output)

    emit(b"%PDF-" + version)
    emit(b"%\xf0\x9f\x96\xa4")
    compressed = []
    for object_ in pdf.objects:
        if object_.free == "f":
            continue
        if object_.compressible:
            compressed.append(object_)
        else:
            object_.offset = pdf.current_position
            emit(object_.indirect)
    where: dict[int, tuple[int, int]] = {}  # object number: (stream number, index)
    for start in range(0, len(compressed), OBJECTS_PER_STREAM):
        chunk = compressed[start : start + OBJECTS_PER_STREAM]
        header: list[int] = []
        parts: list[bytes] = []
        position = 0
        for object_ in chunk:
            data = object_.data
            parts.append(data)
            header += [object_.number, position]
            position += len(data) + 1
        index = " ".join(str(i) for i in header)
        extra = {"Type": "/ObjStm", "N": len(chunk), "First": len(index) + 1}
        object_stream = pydyf.Stream([index, *parts], extra, True)
        pdf.add_object(object_stream)
        object_stream.offset = pdf.current_position
        emit(object_stream.indirect)
        for i, object_ in enumerate(chunk):
            where[object_.number] = (object_stream.number, i)
    xref = []
    for object_ in pdf.objects:
        if object_.number in where and object_.free != "f" and object_.compressible:
            xref.append((2, *where[object_.number]))
        else:
            xref.append((bool(object_.number), object_.offset, object_.generation))
    xref.append((1, pdf.current_position, 0))
    field2_size = ceil(log(pdf.current_position + 1, 256))
    max_generation = max(object_.generation for object_ in pdf.objects)
    field3_size = ceil(log(max(max_generation, OBJECTS_PER_STREAM) + 1, 256))
    lengths = (1, field2_size, field3_size)
    xref_stream = b"".join(
        value.to_bytes(length, "big")
        for line in xref
        for length, value in zip(lengths, line, strict=True)
    )
    extra = {
        "Type": "/XRef",
        "Index": pydyf.Array((0, len(pdf.objects) + 1)),
        "W": pydyf.Array(lengths),
        "Size": len(pdf.objects) + 1,
        "Root": pdf.catalog.reference,
    }
    if pdf.info:
        extra["Info"] = pdf.info.reference
    if identifier:
        data_hash = digest.hexdigest().encode()
        if identifier is True:
            identifier = data_hash
        extra["ID"] = pydyf.Array((pydyf.String(identifier).data, pydyf.String(data_hash).data))
    dict_stream = pydyf.Stream([xref_stream], extra, True)
    pdf.xref_position = dict_stream.offset = pdf.current_position
    pdf.add_object(dict_stream)
    pdf.write_line(dict_stream.indirect, output)
    pdf.write_line(b"startxref", output)
    pdf.write_line(f"{pdf.xref_position}".encode(), output)
    pdf.write_line(b"%%EOF", output)


# --- time and memory of a long document ------------------------------------------------------
#
# Measured on an 80-page tagged PDF/A (bench/minutes_bench.py): the process
# holds ~150 MB and a few hundred thousand objects (Flask, SQLAlchemy, ...)
# before it renders; WeasyPrint's defaults then took ~45 MB for the layout
# alone and ~70 MB in all.  What follows brings that to ~46 MB in all and
# the time below plain WeasyPrint's; tests/minutes/test_documents.py checks
# that none of it changes a byte of the PDF.


_gc_lock = threading.Lock()
_gc_renders = 0
_gc_frozen = False


@contextmanager
def _gc_scope() -> Iterator[None]:
    """Let the cyclic garbage collector look only at the render's own objects.

    CPython runs a full collection only when the objects that survived since
    the last one number a quarter of all old objects; with the application's
    objects counted, that is rare during a render, so the garbage of the
    layout (copies of boxes, style dicts) piles up: +14 MB peak RSS at
    80 pages, and each full collection walks every object of the process.
    ``gc.freeze()`` moves the objects that exist now out of the collector's
    sight for the render (nothing is collected or leaked because of it; they
    are simply not examined), ``gc.unfreeze()`` gives them back.  Nested or
    concurrent renders share one freeze; a process that froze objects itself
    (a pre-fork server) is left alone.
    """
    global _gc_renders, _gc_frozen
    with _gc_lock:
        if _gc_renders == 0:
            _gc_frozen = gc.isenabled() and gc.get_freeze_count() == 0
            if _gc_frozen:
                gc.freeze()
        _gc_renders += 1
    try:
        yield
    finally:
        with _gc_lock:
            _gc_renders -= 1
            if _gc_renders == 0 and _gc_frozen:
                gc.unfreeze()
                _gc_frozen = False


def _pack_stream(stream: Any) -> None:
    """Replace a finished content stream by its (compressed) bytes.

    A page's content is a list of thousands of small objects (operators, text
    runs, one dictionary per tagged span) until the file is written; packed,
    it is a few kilobytes.  The bytes are exactly those pydyf writes for the
    list (same join, zlib level 9, ``/Filter`` before ``/Length``).
    """
    import pydyf

    data = b"\n".join(pydyf._to_bytes(item) for item in stream.stream)
    if stream.compress:
        compressor = zlib.compressobj(level=9)
        data = compressor.compress(data) + compressor.flush()
        stream.extra["Filter"] = "/FlateDecode"
        stream.compress = False
    stream.stream = [data]


def _pack_after_paint(document: Any) -> None:
    """Pack each page's content stream as soon as the page is painted.

    WeasyPrint paints every page into its stream first and writes the file at
    the end; nothing touches a page's stream after ``Page.paint`` (tags use
    the boxes and the marked-content ids, fonts the glyphs recorded while
    painting).  So the lists of all pages never exist at the same time.
    """

    def packing(paint: Any) -> Any:
        def paint_and_pack(stream: Any, scale: float = 1) -> None:
            paint(stream, scale)
            _pack_stream(stream)

        return paint_and_pack

    for page in document.pages:
        page.paint = packing(page.paint)


# The user-agent stylesheet.  WeasyPrint's own (html5_ua.css) has six rules
# for pseudo-elements that match *every* element:
#
#   ::marker { ... }            used only for list items (display: list-item)
#   ::footnote-call { ... }     used only for elements with float: footnote
#   ::footnote-marker, ::note-call, ::note-marker, ::note-callback
#                               footnotes and position: note() likewise
#
# WeasyPrint computes a style for each element and each of them before it
# lays anything out: for a minutes document of 80 pages, 11,700 style
# objects, 13 MB of its 45 MB and a tenth of the layout time, none of them
# read.  The lean stylesheet is WeasyPrint's with ``::marker`` narrowed to
# ``li::marker`` (li is the only list item of html5_ua.css) and the footnote
# and note rules left out.  It is used only for documents that cannot need
# them (see _FULL_UA_MARKERS); their PDFs are the same byte for byte.

_FULL_UA_MARKERS = ("footnote", "note(", "list-item", "<link", "@import")
"""A document that contains one of these (anywhere, also as text) gets
WeasyPrint's full user-agent stylesheet: it may use CSS footnotes or notes,
make other elements list items, or load a style sheet we cannot read here."""


@functools.cache
def _lean_html_class() -> Any:
    """``weasyprint.HTML`` with the lean user-agent stylesheet, or None when
    WeasyPrint's stylesheet is not the one this was written for."""
    from weasyprint import CSS, HTML
    from weasyprint import html as weasy_html

    text = getattr(weasy_html, "UA", None)
    if not isinstance(text, str) or not hasattr(HTML, "_ua_stylesheets"):
        return None
    lean, markers = re.subn(r"^::marker \{", "li::marker {", text, flags=re.M)
    lean, notes = re.subn(r"^::(?:footnote|note)-[a-z]+ \{[^}]*\}\n", "", lean, flags=re.M)
    if markers != 1 or notes != 5 or re.search(r"^::", lean, flags=re.M):
        return None
    sheet = CSS(string=lean, counter_style=weasy_html.UA_COUNTER_STYLE)
    form_sheet = weasy_html.UA_FORM_STYLESHEET

    class LeanHTML(HTML):  # type: ignore[misc]
        def _ua_stylesheets(self, forms: bool = False) -> list[Any]:
            return [sheet, form_sheet] if forms else [sheet]

    return LeanHTML


def _html_class(html: str) -> Any:
    """The WeasyPrint ``HTML`` class for this document (see _FULL_UA_MARKERS)."""
    from weasyprint import HTML

    lean = _lean_html_class()
    if lean is None or any(marker in html for marker in _FULL_UA_MARKERS):
        return HTML
    return lean


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
    ``lang`` also goes into the XMP metadata (dc:language); see
    :func:`_finisher` for what is mended before the file is written.  Title, author
    and the document language come from the HTML (``<title>``,
    ``<meta name=author>``, ``<html lang>``).
    """
    from weasyprint import Attachment

    fetcher = static_only_fetcher(static_folder or _static_folder())
    options: dict[str, Any] = {"pdf_tags": pdf_tags}
    if pdf_variant:
        options["pdf_variant"] = pdf_variant
    if identifier:
        options["pdf_identifier"] = identifier
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
    with _gc_scope():
        document = _html_class(html)(string=html, base_url=BASE_URL, url_fetcher=fetcher)
        # HTML.write_pdf in two steps (the same options to both, as it does),
        # so that the pages can be packed as they are painted.
        rendering = document.render(font_config=font_config(), **options)
        del document
        # The layout's styles and intermediate boxes are garbage now (in
        # cycles): free them before drawing allocates (2-3 MB less peak RSS;
        # with the freeze this walks only the render's objects).
        gc.collect()
        _pack_after_paint(rendering)
        return bytes(rendering.write_pdf(finisher=_finisher(lang), **options))
