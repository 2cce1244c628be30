"""GPT-2's reversible byte <-> printable-character map, the alphabet of byte-level BPE."""

from __future__ import annotations


def _bytes_to_unicode() -> dict[int, str]:
    printable = [
        *range(ord("!"), ord("~") + 1),
        *range(ord("¡"), ord("¬") + 1),
        *range(ord("®"), ord("ÿ") + 1),
    ]
    chars = printable[:]
    extra = 0
    for b in range(256):
        if b not in printable:
            printable.append(b)
            chars.append(256 + extra)
            extra += 1
    return {b: chr(c) for b, c in zip(printable, chars, strict=True)}


BYTE_ENCODER: dict[int, str] = _bytes_to_unicode()
BYTE_DECODER: dict[str, int] = {c: b for b, c in BYTE_ENCODER.items()}
