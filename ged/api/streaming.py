"""The API's uploads stream through ``ged.http_streaming``, shared with the web pages."""

from ged.http_streaming import BodyReader, ContentTooLarge, declared_length

__all__ = ["BodyReader", "ContentTooLarge", "declared_length"]
