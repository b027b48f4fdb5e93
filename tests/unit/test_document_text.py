"""Text made plain (cleanup), bytes of text decoded (encoding), and the message format between the
plugin and its reader process (protocol): exact outputs a user's model or the reader receives."""

from __future__ import annotations

import codecs
import json
import struct

import pytest

from models.vision_utils.document.cleanup import clean_text
from models.vision_utils.document.encoding import bom_encoding, declared_charset, decode_text
from models.vision_utils.document.protocol import MAX_HEADER_BYTES, ProtocolError, ReaderError, pack, unpack


@pytest.mark.parametrize(
    ("raw", "cleaned"),
    [
        ("a\r\nb\rc\x0bd\x0ce\u2028f", "a\nb\nc\nd\ne\nf"),
        ("tab\tkept\x07bell\x1bescape\ufeffbom\u202eRLO\u2066isolate", "tab\tkeptbellescapebomRLOisolate"),
        ("trailing   \t\u00a0\u3000\nnext", "trailing\nnext"),
        ("a" + " " * 17 + "b", "a" + " " * 16 + "b"),
        ("a" + " " * 16 + "b", "a" + " " * 16 + "b"),
        ("one\n\n\ntwo\n\nthree", "one\n\ntwo\n\nthree"),
        ("\n\n  lead and tail  \n\n", "  lead and tail"),
        ("Xmas\nX", "Xmas\nX"),
    ],
)
def test_cleaning_gives_plain_text(raw: str, cleaned: str):
    assert clean_text(raw) == cleaned


@pytest.mark.parametrize(
    ("bom", "codec"),
    [
        (codecs.BOM_UTF32_LE, "utf-32-le"),
        (codecs.BOM_UTF32_BE, "utf-32-be"),
        (codecs.BOM_UTF8, "utf-8"),
        (codecs.BOM_UTF16_LE, "utf-16-le"),
        (codecs.BOM_UTF16_BE, "utf-16-be"),
    ],
)
def test_a_byte_order_mark_decides_the_encoding_and_is_dropped(bom: bytes, codec: str):
    raw = bom + "Grüße, 世界".encode(codec)
    assert bom_encoding(raw) == (codec, len(bom))
    assert decode_text(raw) == "Grüße, 世界"


def test_text_after_a_byte_order_mark_that_does_not_decode_is_replaced_not_refused():
    assert decode_text(codecs.BOM_UTF8 + b"ok \xff end") == "ok \ufffd end"
    assert bom_encoding(b"no mark") is None


def test_the_declared_charset_is_read_from_the_first_4_kb_and_normalised():
    assert declared_charset(b"<head><meta http-equiv='Content-Type' content='text/html; charset=Shift_JIS'>") == (
        "shift_jis"
    )
    assert declared_charset(b'<META CHARSET = " latin-1 ">') == "iso8859-1"
    assert declared_charset(b"<meta charset='no-such-codec'>") is None
    assert declared_charset(b"<p>no meta</p>") is None
    assert declared_charset(b" " * 4096 + b"<meta charset='latin-1'>") is None
    meta = b"<meta charset=cp1251"
    assert declared_charset(b" " * (4096 - len(meta)) + meta) == "cp1251"
    assert declared_charset(b" " * (4097 - len(meta)) + meta + b">") is None, "cut to 'cp125' at 4 kB"


def test_a_declared_charset_is_used_for_html_only_and_before_gb18030():
    raw = b"<meta charset='koi8-r'>" + "Привет".encode("koi8_r")
    assert decode_text(raw, html=True).endswith("Привет")
    assert not decode_text(raw).endswith("Привет"), "a text file's bytes do not declare a charset"


def test_text_neither_utf8_nor_gb18030_falls_back_to_windows_1252_with_replacements():
    assert decode_text(b"\x80 euro \x81") == "€ euro \ufffd"


def test_a_message_is_a_length_prefixed_json_header_then_its_blobs():
    message = pack({"op": "read", "text": "é"}, [b"ab", b"c"])
    (length,) = struct.unpack(">I", message[:4])
    header = json.loads(message[4 : 4 + length])
    assert header == {"op": "read", "text": "é", "blobs": [2, 1]}
    assert message[4 : 4 + length].isascii() and message[4 + length :] == b"abc"
    assert unpack(message) == (header, [b"ab", b"c"])
    assert unpack(pack({"ok": True})) == ({"ok": True, "blobs": []}, [])


@pytest.mark.parametrize(
    ("data", "says"),
    [
        (b"\x00\x00\x00", "the message is shorter than its length prefix"),
        (b"\x00\x00\x00\x00", "the message's header is not JSON (Expecting value: line 1 column 1 (char 0))"),
        (struct.pack(">I", MAX_HEADER_BYTES + 1) + b"{}", "the message's header length is out of range"),
        (b"\x00\x00\x00\x03{}", "the message's header length is out of range"),
        (b"\x00\x00\x00\x02[]", "the message's header lists no blob sizes"),
        (b'\x00\x00\x00\x0c{"blobs": 1}', "the message's header lists no blob sizes"),
        (b'\x00\x00\x00\x0f{"blobs": [-1]}', "the message's header lists no blob sizes"),
        (b'\x00\x00\x00\x10{"blobs": ["1"]}', "the message's header lists no blob sizes"),
        (b'\x00\x00\x00\x0e{"blobs": [2]}x', "the message ends inside a blob"),
        (b'\x00\x00\x00\x0e{"blobs": [1]}xy', "the message has bytes after its last blob"),
    ],
)
def test_a_message_not_in_the_format_is_refused_with_what_is_wrong(data: bytes, says: str):
    with pytest.raises(ProtocolError) as caught:
        unpack(data)
    assert str(caught.value) == says


def test_a_message_with_exactly_its_blobs_and_an_empty_blob_is_accepted():
    assert unpack(b'\x00\x00\x00\x11{"blobs": [0, 2]}xy') == ({"blobs": [0, 2]}, [b"", b"xy"])


def test_a_reader_error_carries_its_kind_and_message():
    error = ReaderError("password", "it is protected")
    assert (error.kind, error.message, str(error)) == ("password", "it is protected", "it is protected")
