//! `eseal_seal_pdf` and `eseal_seal_ofd`: sealing documents with an e-seal.

use std::ffi::c_char;
use std::time::SystemTime;

use eseal::{
    OfdPackage as Package, OfdPlacement, OfdSealOptions, PdfSealOptions, Placement, Seal, seal_ofd,
    seal_pdf,
};

use super::args::{bytes_in, bytes_out, eseal_bytes, opt_str_in, out_ptr};
use super::handles::{self, Kind};
use super::signer::eseal_signer;
use super::status::{FfiError, FfiResult, eseal_status, guard};

/// The arguments both sealing calls share, checked: signer, e-seal, document, keyword.
struct SealArgs<'a> {
    signer: &'a eseal_signer,
    seal: Seal,
    document: &'a [u8],
    keyword: Option<&'a str>,
}

/// # Safety
///
/// As for [`eseal_seal_pdf`].
unsafe fn seal_args<'a>(
    signer: *const eseal_signer,
    seal_esl: *const u8,
    seal_len: usize,
    document: *const u8,
    document_len: usize,
    keyword: *const c_char,
) -> FfiResult<SealArgs<'a>> {
    let signer = handles::borrow(signer, Kind::Signer, "signer")?;
    // SAFETY: every pointer is as the caller's contract says.
    let seal = unsafe { bytes_in(seal_esl, seal_len, "seal_esl") }?;
    // SAFETY: as above.
    let document = unsafe { bytes_in(document, document_len, "document") }?;
    // SAFETY: as above.
    let keyword = unsafe { opt_str_in(keyword, "keyword") }?;
    for (bytes, what) in [(seal, "seal_esl"), (document, "document")] {
        if bytes.is_empty() {
            return Err(FfiError::new(
                eseal_status::ESEAL_INVALID_ARGUMENT,
                format!("{what} is empty"),
            ));
        }
    }
    if keyword.is_some_and(str::is_empty) {
        return Err(FfiError::new(
            eseal_status::ESEAL_INVALID_ARGUMENT,
            "keyword is empty",
        ));
    }
    Ok(SealArgs {
        signer,
        seal: Seal::from_der(seal)?,
        document,
        keyword,
    })
}

/// Seals a PDF with the e-seal `seal_esl` (GB/T 38540, DER) by `signer`: a PAdES B-B
/// signature by incremental update with the seal's picture centred on the first
/// occurrence of `keyword`, or at the bottom right of page 1 when `keyword` is NULL. The
/// sealed PDF goes in `*out`; free it with eseal_bytes_free.
///
/// Statuses: ESEAL_OK; ESEAL_NULL_PARAMETER (`signer` or `out` NULL, or a buffer NULL with a
/// length > 0); ESEAL_INVALID_HANDLE (`signer` not a live signer); ESEAL_INVALID_ARGUMENT (a
/// buffer empty, `keyword` empty or not UTF-8); ESEAL_MALFORMED_INPUT (the seal or the
/// document cannot be read); ESEAL_UNSUPPORTED (an algorithm of the seal or the signer);
/// ESEAL_KEY_ERROR (signing failed); ESEAL_REFUSED (`keyword` not found, or the document
/// cannot be sealed); ESEAL_NOT_FOUND (no font to draw with); ESEAL_PANIC.
///
/// # Safety
///
/// `signer` is NULL or a pointer eseal returned; the buffers are readable (or NULL with
/// length 0); `keyword` is NULL or a NUL-terminated string; `out` is NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn eseal_seal_pdf(
    signer: *const eseal_signer,
    seal_esl: *const u8,
    seal_len: usize,
    pdf: *const u8,
    pdf_len: usize,
    keyword: *const c_char,
    out: *mut *mut eseal_bytes,
) -> eseal_status {
    guard(|| {
        // SAFETY: `out` is NULL or writable (the caller's contract).
        let out = unsafe { out_ptr(out, "out") }?;
        // SAFETY: forwarded from the caller's contract.
        let args = unsafe { seal_args(signer, seal_esl, seal_len, pdf, pdf_len, keyword) }?;
        let mut options = PdfSealOptions::new(&*args.signer.key, &args.signer.certificate);
        options.chain = &args.signer.chain;
        options.seal = Some(&args.seal);
        options.placement = match args.keyword {
            Some(keyword) => Placement::Keyword {
                keyword: keyword.to_owned(),
                occurrence: 0,
            },
            None => Placement::Page {
                page: 0,
                rect: None,
            },
        };
        let mut input = Vec::new();
        input
            .try_reserve_exact(args.document.len() + eseal::UPDATE_HEADROOM)
            .map_err(|_| FfiError::new(eseal_status::ESEAL_INVALID_ARGUMENT, "pdf is too large"))?;
        input.extend_from_slice(args.document);
        *out = bytes_out(seal_pdf(input, &options)?);
        Ok(())
    })
}

/// Seals an OFD package with the e-seal `seal_esl` by `signer`: a GB/T 38540 seal
/// signature whose stamp is centred on the first occurrence of `keyword`, or at the
/// bottom right of page 1 when `keyword` is NULL. The sealed OFD goes in `*out`; free it
/// with eseal_bytes_free.
///
/// Statuses: ESEAL_OK; ESEAL_NULL_PARAMETER (`signer` or `out` NULL, or a buffer NULL with a
/// length > 0); ESEAL_INVALID_HANDLE (`signer` not a live signer); ESEAL_INVALID_ARGUMENT (a
/// buffer empty, `keyword` empty or not UTF-8); ESEAL_MALFORMED_INPUT (the seal or the
/// document cannot be read); ESEAL_UNSUPPORTED (an algorithm of the seal or the signer);
/// ESEAL_KEY_ERROR (signing failed); ESEAL_REFUSED (`keyword` not found, or the document
/// cannot be sealed); ESEAL_NOT_FOUND (no font to draw with); ESEAL_PANIC.
///
/// # Safety
///
/// As for eseal_seal_pdf.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn eseal_seal_ofd(
    signer: *const eseal_signer,
    seal_esl: *const u8,
    seal_len: usize,
    ofd: *const u8,
    ofd_len: usize,
    keyword: *const c_char,
    out: *mut *mut eseal_bytes,
) -> eseal_status {
    guard(|| {
        // SAFETY: `out` is NULL or writable (the caller's contract).
        let out = unsafe { out_ptr(out, "out") }?;
        // SAFETY: forwarded from the caller's contract.
        let args = unsafe { seal_args(signer, seal_esl, seal_len, ofd, ofd_len, keyword) }?;
        let package = Package::read(args.document)?;
        let mut options =
            OfdSealOptions::new(&args.seal, &*args.signer.key, &args.signer.certificate);
        options.placement = match args.keyword {
            Some(keyword) => OfdPlacement::Keyword {
                keyword: keyword.to_owned(),
                occurrence: 0,
            },
            None => OfdPlacement::Page {
                page: 0,
                boundary: None,
            },
        };
        options.signing_time = SystemTime::now();
        *out = bytes_out(seal_ofd(&package, &options)?);
        Ok(())
    })
}
