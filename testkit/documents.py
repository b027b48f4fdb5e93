"""Documents built at test time, byte by byte: PDFs (text, scanned, encrypted, hostile), DOCX, and
the Dify document part that carries them. No fixture files, no network, stdlib and Pillow only.

The PDFs are written as raw PDF syntax (ISO 32000-1): objects, a cross-reference table, a
trailer. Text is drawn with the standard Helvetica font, so it is ASCII only. A "scanned" page
holds nothing but a JPEG image covering the page.
"""

from __future__ import annotations

import base64
import hashlib
import io
import zlib
from collections.abc import Callable, Sequence

from PIL import Image, ImageDraw

PAGE = (612, 792)  # US Letter in points


def document_part(raw: bytes, mime: str, filename: str = "", url: str = "") -> dict:
    """A Dify document content part as the daemon sends it (MULTIMODAL_SEND_FORMAT=base64, or a URL)."""
    return {
        "type": "document",
        "format": filename.rsplit(".", 1)[-1] if "." in filename else "",
        "mime_type": mime,
        "base64_data": "" if url else base64.b64encode(raw).decode(),
        "url": url,
        "filename": filename,
    }


def build_pdf(
    objects: Sequence[bytes], trailer_extra: bytes = b"", broken_xref: bool = False, xref: bool = True
) -> bytes:
    """Objects numbered from 1 (object 1 is the catalog), a cross-reference table and a trailer.
    `broken_xref` writes wrong offsets and a wrong startxref; `xref=False` writes none at all."""
    out = bytearray(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    start = len(out)
    if xref:
        out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
        for offset in offsets:
            out += b"%010d 00000 n \n" % ((offset * 7 + 13) % start if broken_xref else offset)
    out += b"trailer\n<< /Size %d /Root 1 0 R %s>>\n" % (len(objects) + 1, trailer_extra)
    out += b"startxref\n%d\n%%%%EOF\n" % (999_999 if broken_xref else start)
    return bytes(out)


def stream(data: bytes, extra: bytes = b"", compress: bool = True) -> bytes:
    if compress:
        data, extra = zlib.compress(data), extra + b" /Filter /FlateDecode"
    return b"<< /Length %d%s >>\nstream\n" % (len(data), extra) + data + b"\nendstream"


def _escape(text: str) -> bytes:
    return text.encode("latin-1", "replace").replace(b"\\", b"\\\\").replace(b"(", b"\\(").replace(b")", b"\\)")


def page_content(lines: Sequence[str]) -> bytes:
    body = b"BT /F1 10 Tf 50 750 Td 12 TL\n" + b"".join(b"(%s) '\n" % _escape(line) for line in lines)
    return body + b"ET"


def default_lines(page: int, lines: int) -> list[str]:
    return [
        f"Page {page} line {line}: The quick brown fox jumps over the lazy dog 0123456789."
        for line in range(1, lines + 1)
    ]


def pdf_objects(
    contents: Sequence[bytes | None],
    images: dict[int, bytes] | None = None,
    mediabox: tuple[float, ...] = (0, 0, *PAGE),
) -> list[bytes]:
    """Catalog, page tree, font, then per page a page object and its content stream; a page
    whose index is in `images` draws that JPEG over the whole page (a scan)."""
    objects: list[bytes] = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    kids = []
    for index, content in enumerate(contents):
        number = len(objects) + 1
        resources = b"/Font << /F1 3 0 R >>"
        body = content or b""
        if images and index in images:
            jpeg = images[index]
            with Image.open(io.BytesIO(jpeg)) as picture:
                width, height, grey = picture.width, picture.height, picture.mode == "L"
            space = b"/DeviceGray" if grey else b"/DeviceRGB"
            header = (
                b" /Type /XObject /Subtype /Image /Width %d /Height %d /ColorSpace %s" % (width, height, space)
                + b" /BitsPerComponent 8 /Filter /DCTDecode"
            )
            objects.append(
                b"<< /Type /Page /Parent 2 0 R /Resources << %s /XObject << /Im1 %d 0 R >> >> /Contents %d 0 R >>"
                % (resources, number + 2, number + 1)
            )
            objects.append(
                stream(b"q %d 0 0 %d 0 0 cm /Im1 Do Q\n" % (int(mediabox[2]), int(mediabox[3])) + body, compress=False)
            )
            objects.append(stream(jpeg, header, compress=False))
        else:
            objects.append(
                b"<< /Type /Page /Parent 2 0 R /Resources << %s >> /Contents %d 0 R >>" % (resources, number + 1)
            )
            objects.append(stream(body))
        kids.append(number)
    box = b" ".join(b"%g" % value for value in mediabox)
    objects[1] = b"<< /Type /Pages /MediaBox [%s] /Count %d /Kids [%s] >>" % (
        box,
        len(kids),
        b" ".join(b"%d 0 R" % k for k in kids),
    )
    return objects


def text_pdf(pages: int, lines: int = 45, text: Callable[[int, int], list[str]] = default_lines, **options) -> bytes:
    """A PDF of `pages` text pages; `text(page, lines)` gives each page's lines (page from 1)."""
    return build_pdf(pdf_objects([page_content(text(page, lines)) for page in range(1, pages + 1)]), **options)


def scan_jpeg(page: int, size: tuple[int, int] = (850, 1100), colour: bool = False) -> bytes:
    """A scanned page: a grey sheet whose shade encodes the page number, with dark bars as 'text'."""
    shade = 255 - (page * 37) % 120
    image = Image.new("RGB" if colour else "L", size, (shade, shade // 2, 40) if colour else shade)
    draw = ImageDraw.Draw(image)
    for row in range(60, size[1] - 60, 40):
        draw.rectangle((60, row, size[0] - 60 - (row * 7) % 200, row + 14), fill=(20, 20, 20) if colour else 20)
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=70)
    return buffer.getvalue()


def scanned_pdf(pages: int, size: tuple[int, int] = (850, 1100), text_pages: Sequence[int] = ()) -> bytes:
    """Image-only pages (1-based numbers in `text_pages` are ordinary text pages instead)."""
    contents: list[bytes | None] = []
    images = {}
    for page in range(1, pages + 1):
        if page in text_pages:
            contents.append(page_content(default_lines(page, 45)))
        else:
            contents.append(None)
            images[page - 1] = scan_jpeg(page, size)
    return build_pdf(pdf_objects(contents, images))


# --- RC4 encryption (Standard security handler, revision 3, 128-bit; ISO 32000-1 7.6.3) -------
_PAD = bytes.fromhex("28BF4E5E4E758A4164004E56FFFA01082E2E00B6D0683E802F0CA9FE6453697A")


def _rc4(key: bytes, data: bytes) -> bytes:
    box = list(range(256))
    j = 0
    for i in range(256):
        j = (j + box[i] + key[i % len(key)]) % 256
        box[i], box[j] = box[j], box[i]
    out, i, j = bytearray(), 0, 0
    for byte in data:
        i = (i + 1) % 256
        j = (j + box[i]) % 256
        box[i], box[j] = box[j], box[i]
        out.append(byte ^ box[(box[i] + box[j]) % 256])
    return bytes(out)


def _padded(password: str) -> bytes:
    return (password.encode("latin-1") + _PAD)[:32]


def encrypted_pdf(user_password: str, owner_password: str = "owner", pages: int = 2) -> bytes:
    """A text PDF encrypted with RC4-128; an empty user password opens without asking (owner-only)."""
    file_id = hashlib.md5(b"testkit").digest()
    permissions = -3904
    digest = hashlib.md5(_padded(owner_password or user_password)).digest()
    for _ in range(50):
        digest = hashlib.md5(digest).digest()
    owner = _rc4(digest, _padded(user_password))
    for step in range(1, 20):
        owner = _rc4(bytes(b ^ step for b in digest), owner)
    key = hashlib.md5(
        _padded(user_password) + owner + permissions.to_bytes(4, "little", signed=True) + file_id
    ).digest()
    for _ in range(50):
        key = hashlib.md5(key).digest()
    user = _rc4(key, hashlib.md5(_PAD + file_id).digest())
    for step in range(1, 20):
        user = _rc4(bytes(b ^ step for b in key), user)
    objects = pdf_objects([page_content(default_lines(page, 45)) for page in range(1, pages + 1)])
    for index, body in enumerate(objects):
        if b"stream\n" in body:
            number = index + 1
            object_key = hashlib.md5(key + number.to_bytes(3, "little") + b"\x00\x00").digest()
            head, _, rest = body.partition(b"stream\n")
            data = rest[: -len(b"\nendstream")]
            objects[index] = head + b"stream\n" + _rc4(object_key, data) + b"\nendstream"
    encrypt = b"<< /Filter /Standard /V 2 /R 3 /Length 128 /O <%s> /U <%s> /P %d >>" % (
        owner.hex().encode(),
        (user + bytes(16)).hex().encode(),
        permissions,
    )
    objects.append(encrypt)
    ids = b"<%s>" % file_id.hex().encode()
    return build_pdf(objects, b"/Encrypt %d 0 R /ID [%s %s] " % (len(objects), ids, ids))
