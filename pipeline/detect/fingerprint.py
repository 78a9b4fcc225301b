"""The identity of a version's content: sha256 over title and normalised text."""

from __future__ import annotations

import hashlib


def fingerprint(title: str, normalized_text: str) -> str:
    """Same title and text, same hash; a separator keeps ("ab", "c") apart from ("a", "bc")."""
    return hashlib.sha256(f"{title.strip()}\n\x1e\n{normalized_text}".encode()).hexdigest()


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()
