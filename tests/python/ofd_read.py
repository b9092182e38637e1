#!/usr/bin/env python3
"""Reads an OFD (GB/T 33190) with readers nobody at eseal wrote, for the licence OFD
interop test (tests/licence_ofd.rs).

  ofd_read.py text FILE
      ofdkit: prints "pages=N title=T created=D creator=C" from DocInfo, then the text
      of every page in reading order. Exit 1 with the reader's warnings if it had any.

  ofd_read.py pdf FILE OUT
      ofd2img: draws every page into the PDF OUT (reportlab, with the fonts embedded in
      the OFD).
"""
import sys


def text(path: str) -> int:
    import ofdkit

    with ofdkit.open(path) as doc:
        info = doc.info
        print(
            f"pages={len(doc.pages)} title={info.title} "
            f"created={info.creation_date} creator={info.creator}"
        )
        print(doc.text())
        if doc.warnings:
            print("\n".join(doc.warnings), file=sys.stderr)
            return 1
    return 0


def pdf(path: str, out: str) -> int:
    from ofd2img import OFD

    ofd = OFD()
    ofd.read(path, fmt="path")
    with open(out, "wb") as f:
        f.write(ofd.to_pdf())
    return 0


def main(argv: list[str]) -> int:
    if len(argv) == 3 and argv[1] == "text":
        return text(argv[2])
    if len(argv) == 4 and argv[1] == "pdf":
        return pdf(argv[2], argv[3])
    print(__doc__, file=sys.stderr)
    return 64


if __name__ == "__main__":
    sys.exit(main(sys.argv))
