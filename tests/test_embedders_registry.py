"""Embedder lookup by name, identities, clear errors."""
from __future__ import annotations

import pytest

from sopilot_resources.embedders import DEFAULT_EMBEDDER, Embedder, available_embedders, get_embedder
from sopilot_resources.embedders.color_motion import ColorMotionEmbedder
from sopilot_resources.errors import EmbedderError


def test_default_is_color_motion():
    e = get_embedder()
    assert DEFAULT_EMBEDDER == "color-motion" and isinstance(e, ColorMotionEmbedder)
    assert isinstance(e, Embedder) and e.identity()["name"] == "color-motion"


def test_available_lists_both_with_descriptions():
    names = available_embedders()
    assert set(names) == {"color-motion", "vjepa2"} and all(names.values())


def test_unknown_name_lists_the_known_ones():
    with pytest.raises(EmbedderError, match="unknown embedder 'clip'.*color-motion.*vjepa2"):
        get_embedder("clip")


def test_bad_parameters_and_device_are_embedder_errors():
    with pytest.raises(EmbedderError, match="bad parameters"):
        get_embedder("color-motion", size=3)
    with pytest.raises(EmbedderError, match="unknown device"):
        get_embedder("color-motion", device="tpu")


def test_parameters_change_the_identity():
    a = get_embedder("color-motion")
    b = get_embedder("color-motion", weights={"dynamics": 0.0})
    assert a.key() != b.key() and a.key() == get_embedder("color-motion", device="cpu").key()
