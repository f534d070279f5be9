"""Inpainting methods: one interface (:class:`InpaintMethod`) and a registry (:func:`create_method`)."""

from editor.methods.base import (AttentionScore, InpaintMethod, LowResResult, create_method,
                                 default_method_name, iter_methods, list_methods, register_method)

__all__ = ["AttentionScore", "InpaintMethod", "LowResResult", "create_method", "default_method_name",
           "iter_methods", "list_methods", "register_method"]
