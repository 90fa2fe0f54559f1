"""Typeset one part of a long document in a process of its own (see pdf.parts_to_pdf).

``python -m campaign.formats.typst_part TEMPLATE`` reads the part's data as JSON
(UTF-8) on stdin and writes the PDF to stdout; on failure, one line on stderr and
exit status 1. The JSON goes to Typst as it came, not decoded and encoded again.
When the process ends, Typst's memory goes with it.
"""

from __future__ import annotations

import sys
from pathlib import Path


def main() -> int:
    from campaign.errors import TemplateError
    from campaign.formats.pdf import compile_json

    if len(sys.argv) != 2:
        sys.stderr.write("campaign.formats.typst_part: bad request (usage: python -m "
                         "campaign.formats.typst_part TEMPLATE < DATA.json)\n")
        return 1
    try:
        payload = sys.stdin.buffer.read().decode("utf-8")
    except UnicodeDecodeError as exc:
        sys.stderr.write(f"campaign.formats.typst_part: bad request ({exc})\n")
        return 1
    try:
        pdf = compile_json(Path(sys.argv[1]), payload, tags=False)
    except TemplateError as exc:
        sys.stderr.write(f"{exc}\n")
        return 1
    sys.stdout.buffer.write(pdf)
    return 0


if __name__ == "__main__":
    sys.exit(main())
