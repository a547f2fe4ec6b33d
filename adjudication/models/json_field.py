"""``DocumentJSONField``: a jsonb column encoded and decoded with orjson (issue 13)."""

from __future__ import annotations

from typing import Any

from django.db import models
from django.db.models.fields.json import KeyTransform
from psycopg.types.json import Jsonb

from adjudication import fastjson


class DocumentJSONField(models.JSONField):
    """``models.JSONField`` for the columns an autosave writes or reads on every request (the
    read's annotation document, the audit row's before and after): the same values stored
    and loaded, by ``fastjson`` (orjson) instead of the ``json`` module, whose float formatting
    and parsing were over a third of a save's instructions. A NaN or infinity is still refused.
    With an ``encoder`` or ``decoder`` given, it is the plain JSONField."""

    def get_db_prep_value(self, value: Any, connection: Any, prepared: bool = False) -> Any:
        adapted = super().get_db_prep_value(value, connection, prepared)
        if self.encoder is None and type(adapted) is Jsonb:
            return Jsonb(adapted.obj, dumps=fastjson.dumps_jsonb)
        return adapted

    def from_db_value(self, value: Any, expression: Any, connection: Any) -> Any:
        if (
            self.decoder is not None
            or not isinstance(value, str)
            or isinstance(expression, KeyTransform)
        ):
            return super().from_db_value(value, expression, connection)
        try:
            return fastjson.loads(value)
        except ValueError:  # orjson.JSONDecodeError; JSONField keeps such text as it came
            return super().from_db_value(value, expression, connection)
