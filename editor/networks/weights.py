"""Weights on disk: ``<network>.<tag>.safetensors`` beside a model card ``<network>.<tag>.md`` whose YAML
front matter records (at least) ``sha256`` of the weights file (DESIGN.md, "Model cards").

Which file is used (policy): an explicit tag (argument, or env ``INPAINT_STUDIO_<NETWORK>_TAG``, e.g.
``INPAINT_STUDIO_CRA_TAG=cpu-2400``) wins; otherwise the first folder of :func:`editor.paths.models_dirs`
(the override, else the per-user folder before the shipped one) that holds any ``<network>.*.safetensors`` is used, and
within it the tag whose card reports the most training ``steps`` (ties: the last tag by name).

No torch at module level: :func:`load_weights` imports safetensors' torch API lazily.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

import yaml

from editor.core.errors import MethodUnavailableError

__all__ = ["WeightsInfo", "sha256_file", "read_card", "write_model_card", "find_weights", "save_weights",
           "load_weights"]


@dataclass(frozen=True)
class WeightsInfo:
    """A weights file and its card. ``card`` is the front matter (dict)."""

    network: str
    tag: str
    path: Path
    card_path: Path
    card: dict


def sha256_file(path: str | Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def read_card(path: str | Path) -> dict:
    """The YAML front matter of a model card (between the first two ``---`` lines).

    Raises:
        MethodUnavailableError: if the card is missing or has no readable front matter.
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError:
        raise MethodUnavailableError(f"model card missing: {path.name} in {path.parent}") from None
    parts = text.split("---", 2)
    if not text.startswith("---") or len(parts) < 3:
        raise MethodUnavailableError(f"model card {path.name} has no YAML front matter")
    try:
        data = yaml.safe_load(parts[1])
    except yaml.YAMLError as exc:
        raise MethodUnavailableError(f"model card {path.name}: bad YAML front matter ({exc})") from None
    if not isinstance(data, dict):
        raise MethodUnavailableError(f"model card {path.name}: front matter is not a mapping")
    return data


def _atomic_write_text(path: Path, text: str) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.name, suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
        os.chmod(tmp, 0o644)  # mkstemp makes 0600
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_model_card(path: str | Path, facts: dict, body: str | None = None) -> Path:
    """Write a model card: ``facts`` as YAML front matter, then ``body`` (Markdown; a skeleton if None)."""
    path = Path(path)
    if body is None:
        body = (f"# {facts.get('network', 'network')}.{facts.get('tag', '')}\n\n"
                "Skeleton written by `inpaint-studio train`: the front matter holds the training facts.\n"
                "Add: deviations from the paper and why; `inpaint-studio evaluate` numbers with the exact "
                "command.\n")
    text = "---\n" + yaml.safe_dump(facts, sort_keys=False, allow_unicode=True) + "---\n\n" + body
    _atomic_write_text(path, text)
    return path


def _candidates(network: str, folder: Path) -> list[Path]:
    return sorted(folder.glob(f"{network}.*.safetensors"))


def find_weights(network: str, tag: str | None = None, dirs: list[Path] | None = None) -> WeightsInfo:
    """Locate ``<network>.<tag>.safetensors`` and its card (policy in the module docstring).

    Does not verify the checksum (see :func:`load_weights`).

    Raises:
        MethodUnavailableError: no weights file, or the chosen one has no readable card.
    """
    if dirs is None:
        from editor.paths import models_dirs

        dirs = models_dirs()
    tag = tag or os.environ.get(f"INPAINT_STUDIO_{network.upper().replace('-', '_')}_TAG") or None
    chosen: Path | None = None
    for folder in dirs:
        if tag:
            p = Path(folder) / f"{network}.{tag}.safetensors"
            if p.is_file():
                chosen = p
                break
            continue
        files = _candidates(network, Path(folder))
        if files:
            def steps(p: Path) -> int:
                try:
                    return int(read_card(p.with_name(p.name[: -len(".safetensors")] + ".md")).get("steps") or 0)
                except (MethodUnavailableError, ValueError, TypeError):
                    return -1
            chosen = max(files, key=lambda p: (steps(p), p.name))
            break
    if chosen is None:
        where = ", ".join(str(d) for d in dirs) or "no models folder found"
        what = f"{network}.{tag}.safetensors" if tag else f"{network}.*.safetensors"
        raise MethodUnavailableError(f"no weights {what} in {where}")
    stem = chosen.name[: -len(".safetensors")]
    card_path = chosen.with_name(stem + ".md")
    card = read_card(card_path)
    return WeightsInfo(network, stem.split(".", 1)[1], chosen, card_path, card)


def save_weights(state_dict: dict, path: str | Path, metadata: dict[str, str] | None = None) -> Path:
    """Save a state dict (float tensors) as safetensors, atomically."""
    from safetensors.torch import save_file

    path = Path(path)
    tensors = {k: v.detach().to("cpu").contiguous() for k, v in state_dict.items()}
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.name, suffix=".tmp")
    os.close(fd)
    try:
        save_file(tensors, tmp, metadata=metadata)
        os.chmod(tmp, 0o644)  # mkstemp makes 0600
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def load_weights(info: WeightsInfo, device: str = "cpu") -> dict:
    """Verify the file's sha256 against the card, then load the tensors.

    Raises:
        MethodUnavailableError: checksum missing from the card, mismatch (corrupt/changed file), or an
            unreadable file.
    """
    expected = str(info.card.get("sha256", "")).lower()
    if not expected:
        raise MethodUnavailableError(f"model card {info.card_path.name} has no sha256")
    actual = sha256_file(info.path)
    if actual != expected:
        raise MethodUnavailableError(
            f"{info.path.name} is corrupt or changed (sha256 {actual[:12]}… ≠ card's {expected[:12]}…)")
    from safetensors.torch import load_file

    try:
        return load_file(str(info.path), device=device)
    except Exception as exc:  # safetensors raises its own error types
        raise MethodUnavailableError(f"cannot read {info.path.name}: {exc}") from None
