"""Signed PDFs and the incremental updates other tools write after a signature, made with
pyHanko (the interop harness's venv) for tests/pdf_updates.rs.

usage: pdf_updates.py HARNESS STEP IN OUT [ARG]

STEP is one of:
  base                 a one-page form ("Pay 100 EUR", text field "amount"); IN is ignored
  certify P            sign IN with a certification signature, DocMDP P (1, 2, 3), whose
                       field locks itself (FieldMDP /Include): pyHanko then writes a /Reference
                       whose FieldMDP entry has /Data pointing at the catalog
  sign [NAME]          sign IN with an approval signature (no DocMDP) in a new field NAME
                       (default Approval)
  fill VALUE           fill the text field "amount" with VALUE, with a new appearance stream
  annotate SUBTYPE     add an annotation (Square, FreeText, Text) with an appearance on page 1
  annotate-bare        add a /Text annotation without an appearance on page 1
  itxt                 add /ITXT (2.1.7) to the page tree root, as OpenPDF does
  empty-field          add an empty signature field at [0 0 0 0] on page 1
  dss-indirect         add a /DSS whose /Certs, /CRLs and /VRI are indirect objects
  dss-append           append a certificate and a CRL to those arrays and a /VRI entry
  new-catalog [KEY]    write the catalog again as a new object with a /DSS (and, with KEY,
                       a /KEY entry too), the trailer's /Root pointing at it
  sign-dropping NAME   like sign, with a trailer that no longer repeats the hybrid keys
                       below (as a writer that knows nothing of them writes it)
  hybrid-swap          point the trailer's /AdditionalStreams at another embedded document
  hybrid               like base, with a LibreOffice hybrid PDF's /AdditionalStreams (an
                       embedded ODF stream) and /DocChecksum in the trailer
"""

import hashlib
import sys
from io import BytesIO

from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.generic import NameObject as N
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.sign import fields, signers
from pyhanko.sign.fields import MDPPerm


def base(hybrid: bool = False) -> bytes:
    """A minimal PDF written by hand: catalog 1, pages 2, page 3, content 4, font 5,
    text field 6 (merged with its widget) and its appearance 7."""
    content = b"BT /F1 14 Tf 72 720 Td (Pay 100 EUR to the bearer) Tj ET"
    ap = b"/Tx BMC BT /F1 12 Tf 2 5 Td (100 EUR) Tj ET EMC"
    objects = [
        b"<</Type/Catalog/Pages 2 0 R/AcroForm<</Fields[6 0 R]/DA(/F1 12 Tf 0 g)"
        b"/DR<</Font<</F1 5 0 R>>>>>>>>",
        b"<</Type/Pages/Kids[3 0 R]/Count 1>>",
        b"<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]/Resources<</Font<</F1 5 0 R>>>>"
        b"/Contents 4 0 R/Annots[6 0 R]>>",
        b"<</Length %d>>stream\n" % len(content) + content + b"\nendstream",
        b"<</Type/Font/Subtype/Type1/BaseFont/Helvetica/Encoding/WinAnsiEncoding>>",
        b"<</Type/Annot/Subtype/Widget/FT/Tx/T(amount)/V(100 EUR)/DA(/F1 12 Tf 0 g)"
        b"/Rect[300 600 500 620]/P 3 0 R/F 4/AP<</N 7 0 R>>>>",
        b"<</Type/XObject/Subtype/Form/BBox[0 0 200 20]/Resources<</Font<</F1 5 0 R>>>>"
        b"/Length %d>>stream\n" % len(ap) + ap + b"\nendstream",
    ]
    extra = b""
    if hybrid:
        odf = b"PK\x03\x04 an OpenDocument package"
        objects.append(b"<</Length %d>>stream\n" % len(odf) + odf + b"\nendstream")
        extra = (
            b"/AdditionalStreams[/application#2Fvnd.oasis.opendocument.text %d 0 R]"
            b"/DocChecksum/5A2B3C4D5E6F708192A3B4C5D6E7F801" % len(objects)
        )
    out = bytearray(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for i, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % i + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    for offset in offsets:
        out += b"%010d 00000 n \n" % offset
    out += b"trailer\n<</Size %d/Root 1 0 R%s>>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        extra,
        xref,
    )
    return bytes(out)


def signer(harness: str) -> signers.SimpleSigner:
    return signers.SimpleSigner.load(
        f"{harness}/pki/ec-signer.key",
        f"{harness}/pki/ec-signer.pem",
        ca_chain_files=(f"{harness}/pki/intermediate.pem",),
    )


def sign(
    harness: str, pdf: bytes, name: str, permission: int | None, drop=False
) -> bytes:
    meta = signers.PdfSignatureMetadata(
        field_name=name,
        subfilter=fields.SigSeedSubFilter.PADES,
        certify=permission is not None,
        docmdp_permissions=MDPPerm(permission) if permission else MDPPerm.FILL_FORMS,
    )
    spec = None
    if permission is not None:
        lock = fields.FieldMDPSpec(fields.FieldMDPAction.INCLUDE, [name])
        spec = fields.SigFieldSpec(name, field_mdp_spec=lock)
    w = IncrementalPdfFileWriter(BytesIO(pdf))
    if drop:
        for key in ("/AdditionalStreams", "/DocChecksum"):
            del w.trailer[key]
    out = BytesIO()
    signers.sign_pdf(
        w,
        meta,
        signer=signer(harness),
        new_field_spec=spec,
        output=out,
    )
    return out.getvalue()


def appearance(w, width: float, height: float, ops: bytes) -> generic.IndirectObject:
    font = w.root["/Pages"]["/Kids"][0]["/Resources"]["/Font"].raw_get("/F1")
    stream = generic.StreamObject(
        {
            N("/Type"): N("/XObject"),
            N("/Subtype"): N("/Form"),
            N("/BBox"): generic.ArrayObject(
                [generic.NumberObject(0), generic.NumberObject(0),
                 generic.FloatObject(width), generic.FloatObject(height)]
            ),
            N("/Resources"): generic.DictionaryObject(
                {N("/Font"): generic.DictionaryObject({N("/F1"): font})}
            ),
        },
        stream_data=ops,
    )
    return w.add_object(stream)


def fill(pdf: bytes, value: str) -> bytes:
    w = IncrementalPdfFileWriter(BytesIO(pdf))
    field_ref = w.root["/AcroForm"].raw_get("/Fields")[0]
    field = field_ref.get_object()
    field[N("/V")] = generic.TextStringObject(value)
    ap = appearance(w, 200, 20, b"/Tx BMC BT /F1 12 Tf 2 5 Td (%s) Tj ET EMC" % value.encode())
    field[N("/AP")] = generic.DictionaryObject({N("/N"): ap})
    w.update_container(field)
    out = BytesIO()
    w.write(out)
    return out.getvalue()


def add_annotation(w, annotation: generic.DictionaryObject) -> bytes:
    page_ref = w.root["/Pages"].raw_get("/Kids")[0]
    page = page_ref.get_object()
    annotation[N("/P")] = page_ref
    ref = w.add_object(annotation)
    annots = page.get("/Annots", generic.ArrayObject())
    if isinstance(page.raw_get("/Annots"), generic.IndirectObject):
        annots.append(ref)
        w.update_container(annots)
    else:
        annots = generic.ArrayObject(list(annots) + [ref])
        page[N("/Annots")] = annots
    w.update_container(page)
    return written(w)


def rect(*nums) -> generic.ArrayObject:
    return generic.ArrayObject([generic.FloatObject(n) for n in nums])


def annotate(pdf: bytes, subtype: str) -> bytes:
    w = IncrementalPdfFileWriter(BytesIO(pdf))
    # A white box over "Pay 100 EUR" showing another amount.
    ap = appearance(
        w, 300, 24, b"1 1 1 rg 0 0 300 24 re f 0 g BT /F1 14 Tf 2 6 Td (Pay 9,999 EUR) Tj ET"
    )
    annotation = generic.DictionaryObject(
        {
            N("/Type"): N("/Annot"),
            N("/Subtype"): N("/" + subtype),
            N("/Rect"): rect(70, 714, 370, 738),
            N("/F"): generic.NumberObject(4),
            N("/AP"): generic.DictionaryObject({N("/N"): ap}),
            N("/Contents"): generic.TextStringObject("note"),
        }
    )
    if subtype == "FreeText":
        annotation[N("/DA")] = generic.TextStringObject("/F1 14 Tf 0 g")
    return add_annotation(w, annotation)


def annotate_bare(pdf: bytes) -> bytes:
    annotation = generic.DictionaryObject(
        {
            N("/Type"): N("/Annot"),
            N("/Subtype"): N("/Text"),
            N("/Rect"): rect(400, 700, 420, 720),
            N("/Contents"): generic.TextStringObject("checked"),
        }
    )
    return add_annotation(IncrementalPdfFileWriter(BytesIO(pdf)), annotation)


def itxt(pdf: bytes) -> bytes:
    w = IncrementalPdfFileWriter(BytesIO(pdf))
    pages = w.root["/Pages"]
    pages[N("/ITXT")] = generic.TextStringObject("2.1.7")
    w.update_container(pages)
    out = BytesIO()
    w.write(out)
    return out.getvalue()


def empty_field(pdf: bytes) -> bytes:
    w = IncrementalPdfFileWriter(BytesIO(pdf))
    fields.append_signature_field(w, fields.SigFieldSpec("Empty", on_page=0, box=None))
    out = BytesIO()
    w.write(out)
    return out.getvalue()


def der_stream(w, der: bytes) -> generic.IndirectObject:
    return w.add_object(generic.StreamObject(stream_data=der))


def harness_der(harness: str, name: str) -> bytes:
    from asn1crypto import pem

    data = open(f"{harness}/{name}", "rb").read()
    return pem.unarmor(data)[2] if pem.detect(data) else data


def written(w) -> bytes:
    out = BytesIO()
    w.write(out)
    return out.getvalue()


def dss_indirect(harness: str, pdf: bytes) -> bytes:
    w = IncrementalPdfFileWriter(BytesIO(pdf))
    field = w.root["/AcroForm"]["/Fields"][-1].get_object()
    vri_key = hashlib.sha1(field["/V"]["/Contents"]).hexdigest().upper()
    cert = der_stream(w, harness_der(harness, "pki/intermediate.pem"))
    crl = der_stream(w, harness_der(harness, "pki/crl/intermediate.crl"))
    vri_entry = w.add_object(
        generic.DictionaryObject({N("/Cert"): generic.ArrayObject([cert])})
    )
    dss = generic.DictionaryObject(
        {
            N("/Type"): N("/DSS"),
            N("/Certs"): w.add_object(generic.ArrayObject([cert])),
            N("/CRLs"): w.add_object(generic.ArrayObject([crl])),
            N("/VRI"): w.add_object(generic.DictionaryObject({N("/" + vri_key): vri_entry})),
        }
    )
    w.root[N("/DSS")] = w.add_object(dss)
    w.update_root()
    return written(w)


def dss_append(harness: str, pdf: bytes) -> bytes:
    w = IncrementalPdfFileWriter(BytesIO(pdf))
    dss = w.root["/DSS"]
    certs = dss["/Certs"]
    certs.append(der_stream(w, harness_der(harness, "pki/root.pem")))
    w.update_container(certs)
    crls = dss["/CRLs"]
    crls.append(der_stream(w, harness_der(harness, "pki/crl/root.crl")))
    w.update_container(crls)
    vri = dss["/VRI"]
    vri[N("/" + "0" * 40)] = w.add_object(
        generic.DictionaryObject({N("/Cert"): generic.ArrayObject([certs.raw_get(1)])})
    )
    w.update_container(vri)
    return written(w)


def new_catalog(harness: str, pdf: bytes, key: str | None) -> bytes:
    w = IncrementalPdfFileWriter(BytesIO(pdf))
    catalog = generic.DictionaryObject({k: w.root.raw_get(k) for k in w.root})
    cert = der_stream(w, harness_der(harness, "pki/intermediate.pem"))
    catalog[N("/DSS")] = w.add_object(
        generic.DictionaryObject(
            {N("/Type"): N("/DSS"), N("/Certs"): generic.ArrayObject([cert])}
        )
    )
    if key:
        catalog[N("/" + key)] = generic.DictionaryObject(
            {N("/S"): N("/JavaScript"), N("/JS"): generic.TextStringObject("app.alert(1)")}
        )
    w._root = w.add_object(catalog)
    return written(w)


def hybrid_swap(pdf: bytes) -> bytes:
    w = IncrementalPdfFileWriter(BytesIO(pdf))
    odf = w.add_object(generic.StreamObject(stream_data=b"PK\x03\x04 another package"))
    w.set_custom_trailer_entry(
        N("/AdditionalStreams"),
        generic.ArrayObject([N("/application#2Fvnd.oasis.opendocument.text"), odf]),
    )
    return written(w)


def main() -> None:
    harness, step, src, dst = sys.argv[1:5]
    arg = sys.argv[5] if len(sys.argv) > 5 else None
    pdf = b"" if step in ("base", "hybrid") else open(src, "rb").read()
    if step == "base":
        out = base()
    elif step == "hybrid":
        out = base(hybrid=True)
    elif step == "hybrid-swap":
        out = hybrid_swap(pdf)
    elif step == "dss-indirect":
        out = dss_indirect(harness, pdf)
    elif step == "dss-append":
        out = dss_append(harness, pdf)
    elif step == "new-catalog":
        out = new_catalog(harness, pdf, arg)
    elif step == "certify":
        out = sign(harness, pdf, "Certification", int(arg))
    elif step == "sign":
        out = sign(harness, pdf, arg or "Approval", None)
    elif step == "sign-dropping":
        out = sign(harness, pdf, arg, None, drop=True)
    elif step == "fill":
        out = fill(pdf, arg)
    elif step == "annotate":
        out = annotate(pdf, arg)
    elif step == "annotate-bare":
        out = annotate_bare(pdf)
    elif step == "itxt":
        out = itxt(pdf)
    elif step == "empty-field":
        out = empty_field(pdf)
    else:
        raise SystemExit(f"unknown step {step}")
    open(dst, "wb").write(out)


if __name__ == "__main__":
    main()
