#!/usr/bin/env python3
"""Writes the tiny PDFs the document tests read (committed; run again only to change them).

  /usr/bin/python3 tests/app/documents/data/make_pdfs.py

text.pdf        two pages with a text layer (written by hand: a PDF is text plus an xref table)
image_only.pdf  one page that paints an 8x8 grey image and has no text, like a scan
encrypted.pdf   text.pdf encrypted with the user password "secret" (RC4 128-bit), made by
                Ghostscript (`gs`, Debian's ghostscript package), the one encrypting PDF writer
                on the build machine
"""
import pathlib
import subprocess

HERE = pathlib.Path(__file__).resolve().parent


def pdf(objects):
    """A PDF whose objects are numbered from 1 in the order given; object 1 is the catalog."""
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    for offset in offsets:
        out += f"{offset:010d} 00000 n \n".encode()
    out += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    return bytes(out)


def stream(data, extra=b""):
    return b"<< /Length " + str(len(data)).encode() + extra + b" >>\nstream\n" + data + b"\nendstream"


def text_pdf():
    page1 = b"BT /F1 12 Tf 72 720 Td (Flint reads the text layer of a PDF.) Tj ET"
    page2 = b"BT /F1 12 Tf 72 720 Td (The second page says the code word is heron.) Tj ET"
    return pdf([
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R 5 0 R] /Count 2 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        b"/Resources << /Font << /F1 7 0 R >> >> >>",
        stream(page1),
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 6 0 R "
        b"/Resources << /Font << /F1 7 0 R >> >> >>",
        stream(page2),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ])


def image_pdf():
    pixels = bytes((x * 32 + y * 4) % 256 for y in range(8) for x in range(8))
    return pdf([
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        b"/Resources << /XObject << /Im1 5 0 R >> >> >>",
        stream(b"q 400 0 0 400 100 200 cm /Im1 Do Q"),
        stream(pixels, b" /Type /XObject /Subtype /Image /Width 8 /Height 8 /ColorSpace /DeviceGray "
                       b"/BitsPerComponent 8"),
    ])


def main():
    (HERE / "text.pdf").write_bytes(text_pdf())
    (HERE / "image_only.pdf").write_bytes(image_pdf())
    subprocess.run(["gs", "-q", "-dNOPAUSE", "-dBATCH", "-sDEVICE=pdfwrite", "-dEncryptionR=3",
                    "-dKeyLength=128", "-sOwnerPassword=owner", "-sUserPassword=secret",
                    "-o", str(HERE / "encrypted.pdf"), str(HERE / "text.pdf")], check=True)


if __name__ == "__main__":
    main()
