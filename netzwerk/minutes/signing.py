"""PAdES signatures of approved minutes (pyHanko).

* **The seal.**  When the approval freezes the minutes, the archival PDF/A is
  sealed by the Bildungsbüro: a PAdES baseline signature (``ETSI.CAdES.
  detached``, SHA-256) with the key and certificate of a PKCS#12 file,
  configured by environment (``NETZWERK_SIGNING_PKCS12``: the file,
  ``NETZWERK_SIGNING_PASSWORD``: its password; read into the app's config by
  :func:`configure`).  Without them the PDF is stored unsigned and the page
  says so.
* **Personal signatures.**  The chair and the minute-taker may then sign
  with their own certificates, one after the other: each signature is an
  incremental update appended to the stored file, so the seal's revision
  stays byte for byte what was approved (:func:`sign`).
* **Verification.**  :func:`verify` reads every signature of a PDF with
  pyHanko's validator: its digest matches (intact), its signature value is
  valid, what was appended after it is no more than further signatures, and
  the newest covers the whole file.  A changed byte anywhere breaks it.

The signature goes into the file's incremental update; the document's
XMP metadata (``pdfaid:part 3``) is not touched, so the file stays PDF/A-3b.
"""

from __future__ import annotations

import asyncio
import hashlib
import io
import os
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from flask import Flask, current_app

from ..rules import RuleError

SEAL_FIELD = "Siegel-Bildungsbuero"
FIELDS = {
    "seal": SEAL_FIELD,
    "chair": "Unterschrift-Vorsitz",
    "minute_taker": "Unterschrift-Protokoll",
}
ENV_PKCS12 = "NETZWERK_SIGNING_PKCS12"
ENV_PASSWORD = "NETZWERK_SIGNING_PASSWORD"  # noqa: S105 - the variable's name, not a password


class SigningError(RuntimeError):
    """The configured key could not be used, or a PDF could not be signed."""


class SealFailed(RuleError):
    """Approval refused: a seal is configured but could not be applied."""


def configure(app: Flask) -> None:
    """Read the seal's PKCS#12 file and password from the environment (once, in init_app)."""
    for name in (ENV_PKCS12, ENV_PASSWORD):
        if name not in app.config and os.environ.get(name):
            app.config[name] = os.environ[name]


def seal_configured(app: Flask | None = None) -> bool:
    return bool((app or current_app).config.get(ENV_PKCS12))


# --- signers ---------------------------------------------------------------------------------

_signer_lock = threading.Lock()
_signers: dict[tuple[str, float, int], Any] = {}


def load_signer(pkcs12: bytes, password: str | bytes | None) -> Any:
    """A pyHanko signer for the key and certificate (and chain) of a PKCS#12 archive."""
    from pyhanko.sign import signers

    secret = password.encode() if isinstance(password, str) else password
    try:
        return signers.SimpleSigner.load_pkcs12_data(pkcs12, other_certs=(), passphrase=secret)
    except (ValueError, TypeError) as exc:
        raise SigningError(f"cannot load the PKCS#12 key: {exc}") from None


def seal_signer() -> Any | None:
    """The Bildungsbüro's signer, loaded once per file version; None when not configured."""
    path = current_app.config.get(ENV_PKCS12)
    if not path:
        return None
    try:
        stat = os.stat(path)
    except OSError as exc:
        raise SigningError(f"{ENV_PKCS12}: {exc}") from None
    key = (str(path), stat.st_mtime, stat.st_size)
    with _signer_lock:
        signer = _signers.get(key)
        if signer is None:
            with open(path, "rb") as handle:
                signer = load_signer(handle.read(), current_app.config.get(ENV_PASSWORD))
            _signers.clear()
            _signers[key] = signer
    return signer


# --- signing ---------------------------------------------------------------------------------


def sign(
    data: bytes,
    signer: Any,
    *,
    field_name: str,
    reason: str | None = None,
    location: str | None = None,
    name: str | None = None,
) -> bytes:
    """``data`` with one more PAdES signature, appended as an incremental update."""
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign import fields, signers

    try:
        writer = IncrementalPdfFileWriter(io.BytesIO(data), strict=False)
        meta = signers.PdfSignatureMetadata(
            field_name=field_name,
            md_algorithm="sha256",
            subfilter=fields.SigSeedSubFilter.PADES,
            reason=reason,
            location=location,
            name=name,
        )
        out = _outside_event_loop(
            lambda: signers.sign_pdf(
                writer, meta, signer=signer, new_field_spec=fields.SigFieldSpec(field_name)
            )
        )
    except Exception as exc:  # pyHanko raises many kinds; the caller decides
        raise SigningError(f"could not sign the PDF: {exc}") from exc
    return bytes(out.getvalue())


def _outside_event_loop(work: Any) -> Any:
    """Run ``work`` where no asyncio loop runs: pyHanko signs with
    ``asyncio.run``, which refuses inside a running loop (a thread that
    hosts one, as Playwright's sync API or an async server does)."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return work()
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(work).result()


def seal(data: bytes, *, reason: str, location: str | None = None) -> bytes:
    """The archival PDF sealed by the Bildungsbüro; unchanged when no key is configured."""
    signer = seal_signer()
    if signer is None:
        return data
    return sign(data, signer, field_name=SEAL_FIELD, reason=reason, location=location)


def seal_minutes(data: bytes, meeting: Any) -> bytes:
    """The approved minutes of ``meeting`` sealed (unchanged without a key).

    A key that is configured but cannot be used stops the approval: an
    archive must not silently fill with unsealed files.
    """
    from flask_babel import gettext as _

    try:
        return seal(
            data,
            reason=_("Approved minutes of the meeting %(number)s", number=meeting.number),
            location=current_app.config.get("NETZWERK_NETWORK_NAME") or None,
        )
    except SigningError as exc:
        current_app.logger.error("minutes %s: sealing failed: %s", meeting.number, exc)
        raise SealFailed(
            _("The approved minutes could not be sealed; please tell the administrator.")
        ) from exc


# --- verifying -------------------------------------------------------------------------------


@dataclass(frozen=True)
class SignatureStatus:
    field: str
    signer: str
    signed_at: datetime | None
    intact: bool  # the digest over the signed bytes matches
    valid: bool  # the signature value is valid for that digest
    covers_whole_file: bool
    only_signatures_after: bool  # what was appended later is at most form filling/signing
    trusted: bool

    @property
    def ok(self) -> bool:
        return self.intact and self.valid and self.only_signatures_after


@dataclass(frozen=True)
class Verification:
    signatures: list[SignatureStatus] = field(default_factory=list)
    error: str | None = None

    @property
    def signed(self) -> bool:
        return bool(self.signatures) or self.error is not None

    @property
    def intact(self) -> bool:
        """Every signature intact and valid, and the newest covers the whole file."""
        return (
            self.error is None
            and bool(self.signatures)
            and all(s.ok for s in self.signatures)
            and self.signatures[-1].covers_whole_file
        )

    @property
    def state(self) -> str:
        """``unsigned``, ``intact`` or ``broken``."""
        if not self.signed:
            return "unsigned"
        return "intact" if self.intact else "broken"


def _common_name(cert: Any) -> str:
    try:
        return str(cert.subject.native.get("common_name") or cert.subject.human_friendly)
    except Exception:  # pragma: no cover - a certificate without a readable subject
        return "?"


def trust_roots() -> list[Any]:
    """Certificates the app trusts as roots: the chain in the seal's PKCS#12 file."""
    try:
        signer = seal_signer()
    except SigningError:
        return []
    if signer is None:
        return []
    roots = [c for c in signer.cert_registry if c.self_signed]
    if signer.signing_cert.self_signed:
        roots.append(signer.signing_cert)
    return roots


def _reader(data: bytes) -> Any:
    """A pyHanko reader that indexes each object stream once.

    pyHanko finds an object in an object stream by reading the stream's index
    from its start every time: a tagged 80-page PDF (thousands of objects)
    then takes seconds to check.  The index is read once per stream here;
    anything unexpected goes the library's own way.
    """
    from pyhanko.pdf_utils import generic
    from pyhanko.pdf_utils.reader import PdfFileReader

    class IndexedReader(PdfFileReader):  # type: ignore[misc]
        _object_streams: dict[int, tuple[bytes, int, dict[int, int]]]

        def _get_object_from_stream(self, idnum: int, stmnum: int, idx: int) -> Any:
            try:
                found = self._object_streams.get(stmnum)
                if found is None:
                    from pyhanko.pdf_utils.decode_limits import DecodePurpose

                    stream: Any = generic.Reference(stmnum, 0, self).get_object()
                    raw = stream.read_data(DecodePurpose.OBJECT_STREAM)
                    count, first = int(stream["/N"]), int(stream["/First"])
                    numbers = [int(n) for n in raw[:first].split()[: 2 * count]]
                    found = (raw, first, dict(zip(numbers[::2], numbers[1::2], strict=True)))
                    self._object_streams[stmnum] = found
                raw, first, offsets = found
                if idnum in offsets:
                    buffer = io.BytesIO(raw)
                    buffer.seek(first + offsets[idnum])
                    obj = generic.read_object(buffer, generic.Reference(idnum, 0, self))
                    if not isinstance(obj, generic.StreamObject | generic.IndirectObject):
                        return obj
            except Exception:  # noqa: S110 - the library's own reading decides
                pass
            return super()._get_object_from_stream(idnum, stmnum, idx)

    reader = IndexedReader(io.BytesIO(data), strict=False)
    reader._object_streams = {}
    return reader


def verify(data: bytes, *, roots: list[Any] | None = None, thorough: bool = True) -> Verification:
    """Check every signature of ``data`` (see the module's doc).

    ``thorough=False`` leaves out pyHanko's analysis of what the later
    revisions changed (seconds for a long tagged document): every signature
    must still be intact and valid, and the newest cover the whole file, so
    a changed byte shows; only an appended change signed again by someone
    else would not (its signer is then shown untrusted).  The page uses it;
    ``minutes verify`` and the check of an uploaded signature are thorough.
    """
    from pyhanko.sign.diff_analysis import ModificationLevel
    from pyhanko.sign.validation import validate_pdf_signature
    from pyhanko_certvalidator import ValidationContext

    if roots is None:
        roots = trust_roots() if current_app else []
    try:
        reader = _reader(data)
        embedded = list(reader.embedded_signatures)
    except Exception as exc:
        return Verification(error=f"unreadable PDF: {exc}")
    if not embedded:
        return Verification()
    found: list[SignatureStatus] = []
    for sig in embedded:
        context = ValidationContext(trust_roots=roots, allow_fetching=False)
        try:
            status = _outside_event_loop(
                lambda sig=sig, context=context: validate_pdf_signature(
                    sig, context, skip_diff=not thorough
                )
            )
        except Exception as exc:  # a damaged file raises anything from the parser
            return Verification(found, error=f"{sig.field_name}: {exc}")
        level = status.modification_level
        found.append(
            SignatureStatus(
                field=str(sig.field_name),
                signer=_common_name(status.signing_cert),
                signed_at=status.signer_reported_dt,
                intact=bool(status.intact),
                valid=bool(status.valid),
                covers_whole_file=status.coverage is not None
                and status.coverage.name == "ENTIRE_FILE",
                only_signatures_after=level is None or level <= ModificationLevel.FORM_FILLING,
                trusted=bool(status.trusted),
            )
        )
    return Verification(found)


_verified_lock = threading.Lock()
_verified: dict[str, Verification] = {}


def verify_cached(data: bytes) -> Verification:
    """:func:`verify` for pages (not thorough), remembered per SHA-256 of
    the bytes (the same bytes verify alike)."""
    digest = hashlib.sha256(data).hexdigest()
    with _verified_lock:
        found = _verified.get(digest)
    if found is None:
        found = verify(data, thorough=False)
        with _verified_lock:
            if len(_verified) > 256:
                _verified.clear()
            _verified[digest] = found
    return found
