"""The one public way to build a network by name (timm-style ``create_network``)."""

from __future__ import annotations

from typing import Callable

__all__ = ["register_network", "create_network", "list_networks"]

_NETWORKS: dict[str, Callable] = {}


def register_network(name: str):
    """Decorator adding a network factory under ``name``."""

    def wrap(factory):
        if name in _NETWORKS:
            raise ValueError(f"network '{name}' registered twice")
        _NETWORKS[name] = factory
        return factory

    return wrap


def _ensure_loaded() -> None:
    if "cra" not in _NETWORKS:
        from editor.networks.cra import CRAGenerator

        register_network("cra")(CRAGenerator)


def list_networks() -> list[str]:
    _ensure_loaded()
    return list(_NETWORKS)


def create_network(name: str, **kwargs):
    """Build network ``name`` (e.g. ``"cra"``) with fresh weights; kwargs go to its constructor.

    Raises:
        KeyError: unknown name (the message lists the known ones).
    """
    _ensure_loaded()
    try:
        factory = _NETWORKS[name]
    except KeyError:
        raise KeyError(f"unknown network '{name}' (known: {', '.join(_NETWORKS)})") from None
    return factory(**kwargs)
