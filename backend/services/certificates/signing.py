"""The platform's signing pair: a PAdES signature (pyHanko) over the whole certificate PDF."""

from __future__ import annotations

import asyncio
import io
import warnings
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from functools import cache
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from flask import current_app

from backend.clock import now
from backend.kernel.errors import DomainError, register

register("signing_unavailable", 503, "培训证明签名密钥未配置或不可用，暂不能签发培训证明")

# One loaded signer per (key, certificate, their modification times): loading is done once.
_SIGNERS: dict[tuple, object] = {}


def generate_pair(key_path: str | Path, cert_path: str | Path, common_name: str) -> None:
    """Write a new EC P-256 key and a self-signed certificate for it (development and tests)."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "适岗 Shigang"),
        ]
    )
    start = now() - timedelta(days=1)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(start + timedelta(days=3650))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(True, True, False, False, False, False, False, False, False),
            critical=True,
        )
        .sign(key, hashes.SHA256())
    )
    key_path, cert_path = Path(key_path), Path(cert_path)
    key_path.parent.mkdir(parents=True, exist_ok=True)
    cert_path.parent.mkdir(parents=True, exist_ok=True)
    key_bytes = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    key_path.touch(mode=0o600)
    key_path.write_bytes(key_bytes)
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))


def _paths() -> tuple[Path, Path]:
    config = current_app.config
    key, cert = config.get("SIGNING_KEY_PATH"), config.get("SIGNING_CERT_PATH")
    if not key or not cert or not config.get("PUBLIC_BASE_URL"):
        raise DomainError("signing_unavailable")
    key_path, cert_path = Path(key), Path(cert)
    if not key_path.is_file() or not cert_path.is_file():
        raise DomainError("signing_unavailable")
    return key_path, cert_path


def _pyhanko():
    # pyHanko imports cryptography's DSA types, which cryptography marks deprecated.
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="DSA is deprecated")
        from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
        from pyhanko.sign import fields, signers
    return IncrementalPdfFileWriter, fields, signers


def pdf_signer():
    """The configured pyHanko signer and the bytes to reserve for its signature (503
    signing_unavailable when the pair is missing or unusable)."""
    _, fields, signers = _pyhanko()

    key_path, cert_path = _paths()
    cache_key = (str(key_path), str(cert_path), key_path.stat().st_mtime, cert_path.stat().st_mtime)
    cached = _SIGNERS.get(cache_key)
    if cached is None:
        try:
            loaded = signers.SimpleSigner.load(str(key_path), str(cert_path))
        except (OSError, ValueError):
            loaded = None
        if loaded is None:
            raise DomainError("signing_unavailable")
        signer = _template_signer_class()(
            signing_cert=loaded.signing_cert,
            signing_key=loaded.signing_key,
            cert_registry=loaded.cert_registry,
        )
        meta = signers.PdfSignatureMetadata(
            field_name="Signature",
            subfilter=fields.SigSeedSubFilter.PADES,
            md_algorithm="sha256",
            reason="培训证明",
        )
        pdf_signer = signers.PdfSigner(meta, signer=signer)
        # Room for the CMS blob given up front: without it pyHanko signs twice (a dry run to
        # measure). The certificates plus the signed attributes and signature, with slack.
        chain = sum(len(c.dump()) for c in [signer.signing_cert, *signer.cert_registry])
        cached = _SIGNERS[cache_key] = (pdf_signer, 4096 + 2 * chain)
    return cached


@cache
def _template_signer_class():
    """pyHanko's SimpleSigner, re-using the CMS it built for an earlier certificate.

    Building the CMS SignedData (asn1crypto, pure Python) was most of a signature's time, yet
    from one certificate to the next only two of its bytes strings change: the document digest
    inside the signed attributes and the signature over those attributes; every other byte
    (certificates, algorithms, the attributes' order and lengths) is the same. So the CMS that
    pyHanko builds is kept per signature length (ECDSA's varies by a byte or two), and the next
    one of that length is that CMS with the new digest put in and the new signature over the
    attributes as they now read. Anything else (not PAdES, a dry run, a timestamp, content
    carried inside) goes to pyHanko as it is."""
    from asn1crypto import cms

    signers = _pyhanko()[2]

    class TemplateSigner(signers.SimpleSigner):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            # Per (digest algorithm, PAdES, digest length): the signed attributes as carried
            # in the SignerInfo, and where the digest lies in them.
            self._attributes: dict[tuple, tuple[bytes, int]] = {}
            # Per (that, signature length): the whole CMS, where the attributes and the
            # signature lie in it.
            self._templates: dict[tuple, tuple[bytes, int, int]] = {}

        async def async_sign(self, data_digest, digest_algorithm, dry_run=False, **kwargs):
            # Only PAdES signatures: their signed attributes carry no signing time (the time is
            # the signature dictionary's /M, outside the CMS).
            unusual = dry_run or not kwargs.get("use_pades") or kwargs.get("timestamper")
            unusual = unusual or kwargs.get("encap_content_info")
            shape = (digest_algorithm, bool(kwargs.get("use_pades")), len(data_digest))
            attrs, digest_at = self._attributes.get(shape, (b"", -1))
            if not unusual and digest_at >= 0:
                attrs = attrs[:digest_at] + data_digest + attrs[digest_at + len(data_digest) :]
                # Signed as a SET (0x31); carried in the SignerInfo as [0] IMPLICIT (0xA0).
                signature = self.sign_raw(b"\x31" + attrs[1:], digest_algorithm.lower())
                template = self._templates.get((shape, len(signature)))
                if template is not None:
                    der, at, sig_at = template
                    return cms.ContentInfo.load(
                        der[:at]
                        + attrs
                        + der[at + len(attrs) : sig_at]
                        + signature
                        + der[sig_at + len(signature) :]
                    )
            built = await super().async_sign(data_digest, digest_algorithm, dry_run, **kwargs)
            if not unusual:
                self._remember(shape, built, data_digest)
            return built

        def _remember(self, shape: tuple, built, data_digest: bytes) -> None:
            info = built["content"]["signer_infos"][0]
            if info["unsigned_attrs"].native:
                return
            der = built.dump()
            attrs = info["signed_attrs"].dump()
            signature = info["signature"].native
            # Only what is found exactly once can be replaced in place.
            if der.count(attrs) != 1 or der.count(signature) != 1:
                return
            if attrs.count(data_digest) != 1:
                return
            at = der.index(attrs)
            kept, digest_at = self._attributes.setdefault(shape, (attrs, attrs.index(data_digest)))
            end = digest_at + len(data_digest)
            if kept[:digest_at] + data_digest + kept[end:] != attrs:
                # Attributes that change from one signature to the next (a signing time):
                # nothing can be re-used.
                self._attributes[shape] = (b"", -1)
                self._templates = {k: v for k, v in self._templates.items() if k[0] != shape}
                return
            sig_at = der.index(signature, at + len(attrs))
            self._templates[(shape, len(signature))] = (der, at, sig_at)

    return TemplateSigner


def ensure_ready() -> None:
    """Raise 503 signing_unavailable before anything is written if the pair is not usable."""
    pdf_signer()


def run_async(coroutine):
    """Run one of pyHanko's coroutines to completion from synchronous code.

    pyHanko's own sync wrappers call ``asyncio.run``, which refuses a thread where an event loop
    is already running (Playwright's sync API leaves one in the tests' thread): there the
    coroutine runs in a short-lived thread of its own."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coroutine)
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


def sign(pdf: bytes) -> bytes:
    """The PDF with a PAdES signature covering the whole file."""
    writer = _pyhanko()[0]
    signer, reserved = pdf_signer()
    out = io.BytesIO()
    run_async(signer.async_sign_pdf(writer(io.BytesIO(pdf)), output=out, bytes_reserved=reserved))
    return out.getvalue()
