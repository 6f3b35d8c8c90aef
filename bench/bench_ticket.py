"""The check-in QR code, as the mail worker makes it for every confirmation: zxing-cpp's
code written as a PNG by Pillow (what the application sends) against segno's encoding and
its own PNG writer, pure Python (the reference implementation beside it in
registrations/ticket.py), in the same run.

Printed, in CPU time per code (the machine's load moves wall-clock time): the encoding alone
(the part zxing-cpp replaces), and the whole code from the address to the PNG, what the
worker's email gains (target >= 2x). The two engines take turns, round after round, so that a
change of load hits both alike.
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
    encoding = _best_of_rounds(
        [("zxing", ticket.check_in_qr), ("segno", ticket.check_in_qr_reference)], urls
    )
    whole = _best_of_rounds(
        [("zxing", ticket.check_in_qr_png), ("segno", ticket.check_in_qr_png_reference)], urls
    )
    print(f"{CODES} check-in codes of {len(urls[0])}-character addresses, best of {ROUNDS}")
    print(f"QR encoding, segno (reference):      {encoding['segno']:6.2f} ms CPU each")
    print(f"QR encoding, zxing-cpp:              {encoding['zxing']:6.2f} ms CPU each")
    print(f"whole code, segno (reference):       {whole['segno']:6.2f} ms CPU each")
    print(f"whole code, zxing-cpp and Pillow:    {whole['zxing']:6.2f} ms CPU each")
    print(
        f"ratio whole code segno / the app's:  {whole['segno'] / whole['zxing']:6.1f}x"
        "  (target >= 2x)"
    )


if __name__ == "__main__":
    main()
