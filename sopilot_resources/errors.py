"""Typed errors. Every error a user can trigger carries a one-line, actionable message."""
from __future__ import annotations


class SopilotError(Exception):
    """Base class: ``str(err)`` is a single line a person can act on."""

    #: short machine-readable reason code, used in quarantine records and DuckDB
    reason: str = "error"


class VideoError(SopilotError):
    reason = "video_error"

    def __init__(self, path: object, message: str):
        self.path = str(path)
        super().__init__(f"{self.path}: {message}")


class EmptyVideoError(VideoError):
    """Zero-byte file."""

    reason = "empty_file"


class UnreadableVideoError(VideoError):
    """Not a video OpenCV can open, or no frame decodes."""

    reason = "unreadable"


class TruncatedVideoError(VideoError):
    """The container promises more frames than the stream delivers."""

    reason = "truncated"


class TooShortVideoError(VideoError):
    """Fewer clips than scoring needs."""

    reason = "too_short"


class UnsupportedFormatError(VideoError):
    """File extension not among the supported containers."""

    reason = "unsupported_format"


class VideoTooLargeError(VideoError):
    """Over the configured size or duration limit."""

    reason = "too_large"


class StepsFileError(SopilotError):
    reason = "bad_steps_file"


class ProfileError(SopilotError):
    reason = "bad_profile"


class EmbedderError(SopilotError):
    reason = "embedder_error"


class IncompatibleEmbeddingsError(SopilotError):
    """Two embeddings made by different embedders (or parameters) were compared."""

    reason = "incompatible_embeddings"
