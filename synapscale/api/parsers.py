"""JSON request parsing with orjson, a size limit and gzip bodies."""

from __future__ import annotations

import re
import zlib

import orjson
from django.conf import settings
from rest_framework.exceptions import ParseError, ValidationError
from rest_framework.parsers import BaseParser

from synapscale.api.exceptions import PayloadTooLarge


def read_limited(stream, limit: int, *, detail: str | None = None) -> bytes:
    """Read at most ``limit`` bytes from ``stream``; a longer body raises PayloadTooLarge."""
    if stream is None:
        return b""
    data = stream.read(limit + 1)
    if len(data) > limit:
        raise PayloadTooLarge(detail)
    return data


def read_body_limited(stream, meta, limit: int, *, detail: str | None = None) -> bytes:
    """Read a request body of at most ``limit`` bytes, refusing a larger declared length first.

    A body whose Content-Length already says it is too large is refused without reading it.
    """
    declared = meta.get("CONTENT_LENGTH") or ""
    if declared.isdigit() and int(declared) > limit:
        raise PayloadTooLarge(detail)
    return read_limited(stream, limit, detail=detail)


def decompress_limited(data: bytes, limit: int) -> bytes:
    """Gunzip ``data`` without letting a small bomb expand past ``limit`` bytes."""
    decompressor = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)
    try:
        out = decompressor.decompress(data, limit + 1)
    except zlib.error as exc:
        raise ParseError("The gzip body could not be decompressed.") from exc
    if len(out) > limit or decompressor.unconsumed_tail:
        raise PayloadTooLarge("The decompressed body is larger than the server accepts.")
    return out


class JSONParser(BaseParser):
    """Parse JSON bodies with orjson; gzip (``Content-Encoding: gzip``) is accepted."""

    media_type = "application/json"

    def parse(self, stream, media_type=None, parser_context=None):
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        request = (parser_context or {}).get("request")
        meta = request.META if request is not None else {}
        raw = read_body_limited(stream, meta, limit)
        if meta.get("HTTP_CONTENT_ENCODING", "").lower() == "gzip":
            raw = decompress_limited(raw, limit)
        if not raw.strip():
            return {}
        try:
            data = orjson.loads(raw)
        except orjson.JSONDecodeError as exc:
            raise ParseError(f"Malformed JSON: {exc}") from exc
        encoded = encode_checking_depth(data)
        # PostgreSQL cannot store U+0000 in text or jsonb; refuse it here, once for every
        # endpoint, instead of letting it fail at the database as a 500. A view that checks
        # each item of a batch itself (event ingestion rejects one event, not the batch) says
        # so with ``validates_nul_per_item = True``.
        view = (parser_context or {}).get("view")
        if has_nul(encoded) and not getattr(view, "validates_nul_per_item", False):
            path = nul_path(data)
            raise ValidationError(
                {path or "non_field_errors": ["The NUL character is not allowed."]}
            )
        return data


# orjson renders at most 254 levels; a body deeper than this could be stored and then never
# read back (a response wraps it in a few levels of its own).
MAX_JSON_DEPTH = 128
_ORJSON_MAX_DEPTH = 254


_WRAPPERS = _ORJSON_MAX_DEPTH - MAX_JSON_DEPTH
# In orjson's output a NUL is always written `\u0000`; the six characters `\u0000` typed
# as text come out as `\\u0000`. An odd run of backslashes before `u0000` is a real NUL.
_REAL_NUL = re.compile(rb"(?<!\\)(?:\\\\)*\\u0000")


def encode_checking_depth(data) -> bytes:
    """Serialise ``data``, refusing it if nested deeper than MAX_JSON_DEPTH.

    Wrapping the body in enough lists that a deeper one would exceed orjson's own limit lets
    orjson's C code do the measuring, instead of walking every value in Python. Returns the
    serialised wrapped body, which the NUL check then scans.
    """
    wrapped = data
    for _ in range(_WRAPPERS):
        wrapped = [wrapped]
    try:
        return orjson.dumps(wrapped)
    except orjson.JSONEncodeError as exc:
        raise ValidationError(
            {"non_field_errors": [f"The body is nested more than {MAX_JSON_DEPTH} levels deep."]}
        ) from exc


def has_nul(encoded: bytes) -> bool:
    """Tell whether orjson output holds a real NUL character (not the text ``\\u0000``)."""
    return b"\\u0000" in encoded and _REAL_NUL.search(encoded) is not None


def nul_path(data) -> str | None:
    """Return the dotted path of the first key or string holding a NUL character, or None.

    Each visited value keeps a link to its parent instead of its own copy of the path, so a
    deep and wide body costs memory in proportion to its size, not its depth times width.
    """
    stack: list[tuple[object, tuple | None]] = [(data, None)]
    while stack:
        value, link = stack.pop()
        if isinstance(value, str):
            if "\x00" in value:
                return _path_of(link)
        elif isinstance(value, dict):
            for key, item in value.items():
                child = (link, str(key))
                if "\x00" in str(key):
                    return _path_of(child)
                stack.append((item, child))
        elif isinstance(value, list):
            stack.extend((item, (link, str(index))) for index, item in enumerate(value))
    return None


def _path_of(link: tuple | None) -> str:
    parts = []
    while link is not None:
        link, part = link
        parts.append(part)
    return ".".join(reversed(parts))
