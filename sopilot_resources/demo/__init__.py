"""Synthetic SOP demo videos with ground truth: see :func:`generate_demo` and docs/demo.md."""
from .generate import generate_demo

__all__ = ["generate_demo"]
