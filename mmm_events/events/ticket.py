"""The check-in code a registrant shows at the door: a QR code of the organisers' check-in
address for their registration.

The code is made on every confirmed registration, inside the RSVP request, and segno's own
path (trying the eight masks and writing the PNG module by module in Python) cost more than
the rest of the request together. So segno still encodes the data, but the mask is chosen here
with the same rules and scores on whole rows at once, and the PNG is written a row at a time.
The bytes are exactly those of ``segno.make(url, error="m", micro=False).save(..., kind="png",
scale=8, border=4)``; tests/test_registration_perf.py holds them to it.
"""

from __future__ import annotations

import re
import struct
import zlib
from functools import lru_cache

from flask import url_for
from segno import encoder as segno_encoder

SCALE = 8
BORDER = 4
# Two patterns with a literal start each, which re finds four times faster than one
# alternation.
_RUNS_OF_FIVE = (re.compile(rb"\x00\x00\x00\x00\x00+"), re.compile(rb"\x01\x01\x01\x01\x01+"))
_N3_PATTERN = b"\x01\x00\x01\x01\x01\x00\x01"
# With 8 pixels a module, each module is one byte of the 1-bit greyscale image: dark is black
# (0), light is white (1).
_MODULE_TO_PIXELS = bytes.maketrans(b"\x00\x01", b"\xff\x00")
_TO_BINARY_DIGITS = bytes.maketrans(b"\x00\x01", b"01")


def check_in_url(token: str) -> str:
    """The absolute address the QR code holds; it opens the check-in page for organisers."""
    return url_for("organiser.check_in_registration", token=token, _external=True)


def check_in_qr_png(url: str) -> bytes:
    """A QR code of ``url`` as a PNG, large enough to scan from a phone screen or paper."""
    code = segno_encoder.encode(url, error="m", micro=False, mask=0)
    mask, masked = _best_mask(code.matrix, code.version)
    if mask != 0:
        segno_encoder.add_format_info(masked, code.version, code.error, mask)
        segno_encoder.add_version_info(masked, code.version)
        code = code._replace(matrix=masked, mask=mask)
    return _png(code.matrix)


# The mask: ISO/IEC 18004:2015 7.8.3, as segno scores it -----------------------------------

_MASK_PATTERNS = segno_encoder.get_data_mask_functions(False)


@lru_cache(maxsize=16)
def _layout(version: int) -> tuple[int, tuple[int, ...], int]:
    """For one QR version, over the matrix laid out as its rows then its columns, one byte
    per module and a separator (2) after each line, as one integer: the modules to keep (not
    the format and version areas, which are blank while masks are scored), and per mask the
    modules it flips compared with mask 0. Then, over the rows as one bit per module, the
    pairs of horizontal neighbours within a row."""
    size = 17 + 4 * version
    reserved = segno_encoder.make_matrix(size, size)
    unreserved = segno_encoder.make_matrix(size, size, reserve_regions=False)
    function = segno_encoder.make_matrix(size, size)
    segno_encoder.add_finder_patterns(function, size, size)
    segno_encoder.add_alignment_patterns(function, size, size)
    function[-8][8] = 0x1  # the dark module

    def lines(value) -> int:
        """``value(i, j)`` for every module, rows then columns; 0 on the separators."""
        cells = [(i, j) for i in range(size) for j in [*range(size), None]]
        cells += [(i, j) for j in range(size) for i in [*range(size), None]]
        flags = bytes(0 if None in (i, j) else value(i, j) for i, j in cells)
        return int.from_bytes(flags, "big")

    keep = _separators(size) | lines(
        lambda i, j: 0x00 if (reserved[i][j], unreserved[i][j]) == (0x0, 0x2) else 0xFF
    )
    flips = tuple(
        lines(lambda i, j, p=p: int(function[i][j] > 0x1 and p(i, j) != _MASK_PATTERNS[0](i, j)))
        for p in _MASK_PATTERNS
    )
    neighbours = int("".join("0" if j == 0 else "1" for _ in range(size) for j in range(size)), 2)
    return keep, flips, neighbours


def _separators(size: int) -> int:
    line = b"\x00" * size + b"\xff"
    return int.from_bytes(line * (2 * size), "big")


def _best_mask(matrix, version: int) -> tuple[int, tuple[bytearray, ...]]:
    """The mask segno would choose (the lowest penalty, the first one on a tie), and the
    matrix with it, without format and version information."""
    keep, flips, neighbours = _layout(version)
    size = len(matrix)
    stride = size + 1
    laid_out = b"".join(
        [bytes(row) + b"\x02" for row in matrix]
        + [bytes(column) + b"\x02" for column in zip(*matrix, strict=True)]
    )
    base = int.from_bytes(laid_out, "big") & keep
    best, best_score, best_lines = 0, None, b""
    for number, flip in enumerate(flips):
        lines = (base ^ flip).to_bytes(len(laid_out), "big")
        score = _penalty(lines, size, neighbours)
        if best_score is None or score < best_score:
            best, best_score, best_lines = number, score, lines
    masked = tuple(bytearray(best_lines[i * stride : i * stride + size]) for i in range(size))
    return best, masked


def _penalty(lines: bytes, size: int, neighbours: int) -> int:
    """ISO/IEC 18004 7.8.3's penalty of one masked matrix, given as its rows then its
    columns, each line followed by a separator that no pattern contains."""
    runs = _RUNS_OF_FIVE[0].findall(lines) + _RUNS_OF_FIVE[1].findall(lines)
    n1 = sum(map(len, runs)) - 2 * len(runs)
    # N2, 2x2 blocks of one colour: a module equal to the one above it, its left neighbour
    # likewise, and equal to that neighbour.
    bits = int(lines[: size * (size + 1)].translate(_TO_BINARY_DIGITS, b"\x02"), 2)
    same_above = ~(bits ^ (bits >> size)) & ((1 << (size * (size - 1))) - 1)
    n2 = 3 * (same_above & (same_above >> 1) & ~(bits ^ (bits >> 1)) & neighbours).bit_count()
    n3 = _n3_occurrences(lines, size)
    dark = lines.count(1) // 2  # each module is counted in its row and in its column
    n4 = 10 * int(abs(float(dark) / (size**2) * 100 - 50) / 5)
    return n1 + n2 + n3 + n4


def _n3_occurrences(lines: bytes, size: int) -> int:
    """Finder-like patterns (1:1:3:1:1 with four light modules on one side), counted exactly
    as segno counts them in each line, overlaps included."""
    count = 0
    found = lines.find(_N3_PATTERN)
    while found != -1:
        start = found - found % (size + 1)
        line = lines[start : start + size]
        index = found - start
        offset = index + 7
        if (
            index in (0, size - 7)
            or not any(line[max(index - 4, 0) : min(index, size)])
            or not any(line[max(offset, 0) : min(offset + 4, size)])
        ):
            count += 40
        else:
            offset = index + 4
        found = lines.find(_N3_PATTERN, start + offset)
    return count


# The PNG: 1-bit greyscale, as segno writes it ---------------------------------------------------


def _chunk(name: bytes, data: bytes) -> bytes:
    head = name + data
    return struct.pack(">I", len(data)) + head + struct.pack(">I", zlib.crc32(head))


def _png(matrix) -> bytes:
    size = len(matrix)
    width = (size + 2 * BORDER) * SCALE
    blank = b"\x00" + b"\xff" * (width // 8)
    # Filter "Up" with nothing changed: the other pixel rows of a module row.
    same_as_above = (b"\x02" + b"\x00" * (width // 8)) * (SCALE - 1)
    side = b"\xff" * BORDER
    image = bytearray(blank * (BORDER * SCALE))
    for row in matrix:
        image += b"\x00" + side + bytes(row).translate(_MODULE_TO_PIXELS) + side
        image += same_as_above
    image += blank * (BORDER * SCALE)
    return b"".join(
        (
            b"\x89PNG\r\n\x1a\n",
            _chunk(b"IHDR", struct.pack(">2I5B", width, width, 1, 0, 0, 0, 0)),
            _chunk(b"IDAT", zlib.compress(image, 9)),
            _chunk(b"IEND", b""),
        )
    )
