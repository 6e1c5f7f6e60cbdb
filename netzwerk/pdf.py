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
    * object streams of at most :data:`OBJECTS_PER_STREAM` objects.
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
    from hashlib import md5
    from math import ceil, log

    if identifier not in (False, True, None):
        identifier = pydyf._to_bytes(identifier)
    if pdf.info:
        pdf.add_object(pdf.info)
    pdf.write_line(b"%PDF-" + version, output)
    pdf.write_line(b"%\xf0\x9f\x96\xa4", output)
    compressed = []
    for object_ in pdf.objects:
        if object_.free == "f":
            continue
        if object_.compressible:
            compressed.append(object_)
        else:
            object_.offset = pdf.current_position
            pdf.write_line(object_.indirect, output)
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
        pdf.write_line(object_stream.indirect, output)
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
        data = b"".join(obj.data for obj in pdf.objects if obj.free != "f")
        data_hash = md5(data).hexdigest().encode()  # noqa: S324 - the file identifier, as pydyf
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
    options["finisher"] = _finisher(lang)
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
