"""Typeset one part of a long document in a process of its own (see pdf.parts_to_pdf).

Reads ``{"template": path, "data": {...}}`` as JSON on stdin and writes the PDF
to stdout; on failure, one line on stderr and exit status 1. When the process
ends, Typst's memory goes with it.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path


def main() -> int:
    from campaign.errors import TemplateError
    from campaign.formats.pdf import compile_typ

    try:
        request = json.loads(sys.stdin.buffer.read().decode("utf-8"))
        pdf = compile_typ(Path(request["template"]), request["data"], tags=False)
    except TemplateError as exc:
        sys.stderr.write(f"{exc}\n")
        return 1
    except (ValueError, KeyError, TypeError) as exc:
        sys.stderr.write(f"campaign.formats.typst_part: bad request ({exc})\n")
        return 1
    sys.stdout.buffer.write(pdf)
    return 0


if __name__ == "__main__":
    sys.exit(main())
