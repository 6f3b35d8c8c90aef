"""The check-in QR code, as the mail worker makes it for every confirmation: Pillow's PNG
from segno's matrix (what the application sends) against segno's own pure-Python PNG writer
(the reference implementation beside it in registrations/ticket.py), in the same run.

Printed, in CPU time per code (the machine's load moves wall-clock time):
  - the PNG writing alone, from the QR code symbol: the part Pillow replaces (target ≥ 2×);
  - the whole code from the address (segno's encoding, unchanged, plus the PNG): what the
    worker's email gains.
The two engines take turns, round after round, so that a change of load hits both alike.
"""

from __future__ import annotations

import secrets
import time

from mmm_events.registrations import ticket

# Addresses of the real length: https, a host name like a deployment's, a 43-character token.
HOST = "https://events.makemothersmatter.org"
CODES = 200
ROUNDS = 5


def _cpu_ms_each(function, items) -> float:
    started = time.process_time()
    for item in items:
        function(item)
    return (time.process_time() - started) * 1000 / len(items)


def _best_of_rounds(pairs, items) -> dict[str, float]:
    """The least CPU time per item of each function over ROUNDS alternating rounds."""
    best = {name: float("inf") for name, _ in pairs}
    for _ in range(ROUNDS):
        for name, function in pairs:
            best[name] = min(best[name], _cpu_ms_each(function, items))
    return best


def main() -> None:
    urls = [f"{HOST}/organiser/check-in/{secrets.token_urlsafe(32)}" for _ in range(CODES)]
    symbols = [ticket.check_in_qr(url) for url in urls]
    writers = _best_of_rounds(
        [("pillow", ticket.symbol_png), ("segno", ticket.symbol_png_reference)], symbols
    )
    whole = _best_of_rounds(
        [("pillow", ticket.check_in_qr_png), ("segno", ticket.check_in_qr_png_reference)], urls
    )
    encoding = _best_of_rounds([("segno", ticket.check_in_qr)], urls)["segno"]
    print(f"{CODES} check-in codes of {len(urls[0])}-character addresses, best of {ROUNDS}")
    print(f"QR encoding (segno, both engines): {encoding:6.2f} ms CPU each")
    print(f"PNG writing, segno (reference):    {writers['segno']:6.2f} ms CPU each")
    print(f"PNG writing, Pillow:               {writers['pillow']:6.2f} ms CPU each")
    print(
        f"ratio PNG writing segno / Pillow:  {writers['segno'] / writers['pillow']:6.1f}x"
        "  (target >= 2x)"
    )
    print(f"whole code, segno (reference):     {whole['segno']:6.2f} ms CPU each")
    print(f"whole code, Pillow:                {whole['pillow']:6.2f} ms CPU each")
    print(f"ratio whole code segno / Pillow:   {whole['segno'] / whole['pillow']:6.1f}x")


if __name__ == "__main__":
    main()
