"""The API's JSON parser: malformed or too deeply nested JSON answers 400 ``{detail, code}``."""

from __future__ import annotations

import codecs
from typing import Any

from django.conf import settings
from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser

from adjudication import jsonsafe


class BoundedJSONParser(JSONParser):
    """DRF's JSONParser through ``adjudication.jsonsafe`` (depth-limited, no RecursionError)."""

    def parse(self, stream: Any, media_type: Any = None, parser_context: Any = None) -> Any:
        parser_context = parser_context or {}
        encoding = parser_context.get("encoding", settings.DEFAULT_CHARSET)
        try:
            raw = stream.read() if stream is not None else b""
            if codecs.lookup(encoding).name != "utf-8":
                raw = codecs.decode(raw, encoding)
            return jsonsafe.loads(raw)  # UTF-8 bytes as they came: validated by the reader
        except jsonsafe.TooDeep as exc:
            raise ParseError(str(exc), code="too_deep") from None
        except (ValueError, UnicodeDecodeError) as exc:
            raise ParseError(f"JSON parse error - {exc}") from None
