//! The `eseal` command line: issue, seal, verify and revoke.

/// `println!` that ignores a closed standard output (`eseal verify ... | head`).
macro_rules! out {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stdout(), $($arg)*);
    }};
}

mod demo;
mod licence_cmd;
mod ofd_cmd;
mod pdf_cmd;
mod pki_cmd;
mod seal_cmd;
mod serve_cmd;
mod signer;
mod speed;
mod speed_cmd;
mod tsa_cmd;
mod verify_cmd;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// Exit code for a usage error (sysexits EX_USAGE).
pub const EXIT_USAGE: u8 = 64;
/// Exit code for unreadable input (sysexits EX_DATAERR).
pub const EXIT_UNREADABLE: u8 = 65;
/// Exit code for a service that cannot be reached, such as the registry's database
/// (sysexits EX_UNAVAILABLE).
pub const EXIT_UNAVAILABLE: u8 = 69;
/// Exit code for a failed read or write (sysexits EX_IOERR): disk full, read-only file
/// system, permissions, a file over the size limit of the process.
pub const EXIT_IO: u8 = 74;
/// A document that takes no new signature (locked, or earlier signatures that do not
/// verify): 2, as for a document that fails verification.
pub const EXIT_REFUSED: u8 = 2;
/// Exit code after SIGINT, SIGTERM or SIGHUP, as a shell reports a process that SIGINT
/// ended (128 + 2).
const EXIT_INTERRUPTED: i32 = 130;

#[derive(Parser)]
#[command(
    name = "eseal",
    version,
    about = "Issue, seal, verify and revoke electronic licences and e-sealed documents"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the whole story on an embedded default and print each step.
    Demo(demo::Args),
    /// The office's small CA: init, issue, revoke, crl.
    #[command(subcommand)]
    Pki(pki_cmd::Command),
    /// GB/T 38540 seals: make, sign, inspect.
    #[command(subcommand)]
    Seal(seal_cmd::Command),
    /// Electronic licences: init, template, issue, revoke, suspend, reinstate, show,
    /// audit, status-list, render, export, trust-list.
    #[command(subcommand)]
    Licence(licence_cmd::Command),
    /// PDF: seal (PAdES with a visible e-seal).
    #[command(subcommand)]
    Pdf(pdf_cmd::Command),
    /// OFD: seal (GB/T 38540 seal signatures), render licences.
    #[command(subcommand)]
    Ofd(ofd_cmd::Command),
    /// RFC 3161 timestamps: serve (a TSA over HTTP), request (a token for a file).
    #[command(subcommand)]
    Tsa(tsa_cmd::Command),
    /// Verify a licence QR, PDF, OFD package, certificate, seal, seal signature or timestamp
    /// token as of a time; with --batch, many on every core.
    Verify(verify_cmd::Args),
    /// The HTTP service: verification, issuing, status and trust lists, timestamps, and
    /// the web page for service-hall clerks.
    Serve(serve_cmd::Args),
    /// Throughput of each verifier beside its bare primitive.
    Speed(speed_cmd::Args),
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let code = if e.use_stderr() { EXIT_USAGE } else { 0 };
            let _ = e.print();
            return ExitCode::from(code);
        }
    };
    // An interrupted command removes its unfinished outputs' temporary files and leaves
    // every destination as it was. The service handles its signals itself (SIGHUP
    // reloads its trust material).
    if !matches!(cli.command, Command::Serve(_)) {
        let _ = ctrlc::set_handler(|| eseal::exit_discarding_pending(EXIT_INTERRUPTED));
    }
    let result = match cli.command {
        Command::Demo(args) => demo::run(args),
        Command::Pki(cmd) => pki_cmd::run(cmd),
        Command::Seal(cmd) => seal_cmd::run(cmd),
        Command::Licence(cmd) => licence_cmd::run(cmd),
        Command::Pdf(cmd) => pdf_cmd::run(cmd),
        Command::Ofd(cmd) => ofd_cmd::run(cmd),
        Command::Tsa(cmd) => tsa_cmd::run(cmd),
        Command::Verify(args) => verify_cmd::run(args),
        Command::Serve(args) => serve_cmd::run(args),
        Command::Speed(args) => speed_cmd::run(args),
    };
    match result {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            eprintln!("eseal: {e}");
            ExitCode::from(exit_code_for(&e))
        }
    }
}

/// A failed read or write exits 74; missing, non-regular, malformed, unsupported or too
/// large input exits 65; everything else that stops a command is a usage problem, 64.
fn exit_code_for(e: &eseal::Error) -> u8 {
    match e.innermost() {
        eseal::Error::Io { .. } => EXIT_IO,
        eseal::Error::Unavailable(_) => EXIT_UNAVAILABLE,
        eseal::Error::Malformed { .. }
        | eseal::Error::TooLarge { .. }
        | eseal::Error::UnsupportedAlgorithm(_)
        | eseal::Error::NotAFile { .. } => EXIT_UNREADABLE,
        eseal::Error::DocumentRefused(_) => EXIT_REFUSED,
        _ => EXIT_USAGE,
    }
}

/// Rewords the help of arguments of a flattened group for one command, by argument id:
/// `#[command(mut_args(crate::reword(&[("cert", "The TSA certificate")])))]`.
pub fn reword(
    helps: &'static [(&'static str, &'static str)],
) -> impl FnMut(clap::Arg) -> clap::Arg {
    move |arg| match helps.iter().find(|(id, _)| arg.get_id().as_str() == *id) {
        Some((_, help)) => arg.help(*help),
        None => arg,
    }
}

/// Reads a key, certificate, CRL or seal file, mapping failures to eseal's error.
pub fn read_file(path: &std::path::Path) -> eseal::Result<Vec<u8>> {
    read_file_up_to(path, eseal::MAX_PKI_FILE as u64, 0)
}

/// The first certificate in the file at `path` (PEM bundle or DER) and the rest, e.g. a
/// signer's certificate and its chain; a file that does not parse, or holds none, is an
/// error naming it.
pub fn read_certificate_file(
    path: &std::path::Path,
) -> eseal::Result<(eseal::Certificate, Vec<eseal::Certificate>)> {
    let mut certificates =
        eseal::read_certificates(&read_file(path)?).map_err(|e| e.in_file(path))?;
    if certificates.is_empty() {
        return Err(no_certificate(path));
    }
    let first = certificates.remove(0);
    Ok((first, certificates))
}

fn no_certificate(path: &std::path::Path) -> eseal::Error {
    eseal::Error::malformed("certificate file", "no CERTIFICATE block").in_file(path)
}

/// The certificates of a bundle of trust material (anchors, intermediates): a certificate
/// that does not parse is skipped with a warning naming the file, its place and the cause;
/// a file of which none parses is an error naming it.
pub fn read_certificate_bundle_file(
    path: &std::path::Path,
) -> eseal::Result<Vec<eseal::Certificate>> {
    let bundle = eseal::read_certificate_bundle(&read_file(path)?).map_err(|e| e.in_file(path))?;
    let total = bundle.certificates.len() + bundle.rejected.len();
    for (place, error) in &bundle.rejected {
        eprintln!(
            "eseal: warning: {}: certificate {place} of {total} skipped: {error}",
            path.display()
        );
    }
    if bundle.certificates.is_empty() {
        return Err(no_certificate(path));
    }
    Ok(bundle.certificates)
}

/// The largest document or data file a command reads (`eseal ofd seal --in`, `seal sign
/// --data`, `verify --data`): the total an OFD package may hold
/// ([`eseal::OfdLimits::max_total_size`]), which is also the largest PDF.
pub fn max_document() -> u64 {
    eseal::OfdLimits::default()
        .max_total_size
        .max(eseal::MAX_PDF_SIZE)
}

/// An input named on the command line, checked before a byte of it is read.
enum Input {
    /// `-`: standard input, of unknown size.
    Stdin,
    /// A regular file and its size.
    File(std::fs::File, u64),
}

/// Opens an input: `-` is standard input (which one option only may name); any other
/// path must be a regular file of at most `limit` bytes, checked from its metadata
/// before it is opened ([`eseal::open_input`]): a FIFO, device, directory or socket
/// is refused without waiting for it.
fn open_input(path: &std::path::Path, limit: u64) -> eseal::Result<Input> {
    use std::sync::atomic::{AtomicBool, Ordering};
    static STDIN_TAKEN: AtomicBool = AtomicBool::new(false);
    if path.as_os_str() != "-" {
        let (file, size) = eseal::open_input(path, limit)?;
        return Ok(Input::File(file, size));
    }
    if STDIN_TAKEN.swap(true, Ordering::Relaxed) {
        return Err(eseal::Error::Invalid(
            "standard input (-) can be read once: name it for one input only".into(),
        ));
    }
    Ok(Input::Stdin)
}

/// Reads at most `limit` bytes, refusing more.
fn read_up_to(
    path: &std::path::Path,
    source: impl std::io::Read,
    limit: u64,
    bytes: &mut Vec<u8>,
) -> eseal::Result<()> {
    use std::io::Read;
    source
        .take(limit + 1)
        .read_to_end(bytes)
        .map_err(|source| eseal::Error::Io {
            path: path.to_path_buf(),
            source,
        })?;
    if bytes.len() as u64 > limit {
        return Err(eseal::Error::TooLarge {
            what: "input file",
            size: bytes.len() as u64,
            limit,
        });
    }
    Ok(())
}

/// Reads a file (or standard input for `-`) of at most `limit` bytes in one allocation of
/// its size plus `headroom`.
pub fn read_file_up_to(
    path: &std::path::Path,
    limit: u64,
    headroom: usize,
) -> eseal::Result<Vec<u8>> {
    let mut bytes;
    match open_input(path, limit)? {
        Input::Stdin => {
            bytes = Vec::new();
            read_up_to(path, std::io::stdin().lock(), limit, &mut bytes)?;
        }
        Input::File(file, size) => {
            bytes = Vec::with_capacity(size as usize + 1 + headroom);
            read_up_to(path, file, limit, &mut bytes)?;
        }
    }
    Ok(bytes)
}

/// Opens an input that is read piece by piece where the checks need it (a PDF or OFD
/// package to verify or seal), checked as [`open_input`] checks it; `None` for `-`
/// (standard input), which the caller reads whole.
pub fn open_file(path: &std::path::Path, limit: u64) -> eseal::Result<Option<std::fs::File>> {
    if path.as_os_str() == "-" {
        return Ok(None);
    }
    Ok(Some(eseal::open_input(path, limit)?.0))
}

/// The first `len` bytes of `file` (fewer when it is shorter).
pub fn read_head(file: &std::fs::File, path: &std::path::Path, len: u64) -> eseal::Result<Vec<u8>> {
    use std::io::Read;
    let mut head = Vec::new();
    file.take(len)
        .read_to_end(&mut head)
        .map_err(|source| eseal::Error::Io {
            path: path.to_path_buf(),
            source,
        })?;
    Ok(head)
}

/// Reads an input to verify that is neither a PDF nor an OFD package (those are read from
/// the file where needed), or standard input for `-`, into anonymous memory backed by
/// huge pages where the system offers them: a large file then costs a handful of page
/// faults instead of thousands.
pub fn read_large_file(path: &std::path::Path, limit: u64) -> eseal::Result<LargeFile> {
    use std::io::Read;
    let io = |source| eseal::Error::Io {
        path: path.to_path_buf(),
        source,
    };
    let (mut file, size) = match open_input(path, limit)? {
        Input::File(file, size) => (file, size),
        Input::Stdin => {
            let mut bytes = Vec::new();
            read_up_to(path, std::io::stdin().lock(), limit, &mut bytes)?;
            let mut memory = memmap2::MmapMut::map_anon(bytes.len().max(1)).map_err(io)?;
            memory[..bytes.len()].copy_from_slice(&bytes);
            let len = bytes.len();
            return Ok(LargeFile { memory, len });
        }
    };
    let mut memory = memmap2::MmapMut::map_anon(size.max(1) as usize).map_err(io)?;
    #[cfg(target_os = "linux")]
    let _ = memory.advise(memmap2::Advice::HugePage);
    let len = size as usize;
    file.read_exact(&mut memory[..len]).map_err(io)?;
    Ok(LargeFile { memory, len })
}

/// A file read by [`read_large_file`].
pub struct LargeFile {
    memory: memmap2::MmapMut,
    len: usize,
}

impl std::ops::Deref for LargeFile {
    type Target = [u8];

    fn deref(&self) -> &[u8] {
        &self.memory[..self.len]
    }
}

/// Writes a file atomically ([`eseal::write_atomic`]): it holds either its old
/// content or all of `bytes`, whatever interrupts the command.
pub fn write_file(path: &std::path::Path, bytes: &[u8]) -> eseal::Result<()> {
    eseal::write_atomic(path, bytes)
}

/// Writes the file `path` through `write`, atomically ([`eseal::AtomicFile`]): a
/// failure leaves `path` as it was. An I/O error that a write to `path` caused names
/// `path`, whatever the library called it.
pub fn write_output<T>(
    path: &std::path::Path,
    write: impl FnOnce(&mut Output<'_>) -> eseal::Result<T>,
) -> eseal::Result<T> {
    let mut file = eseal::AtomicFile::create(path)?;
    let mut output = Output {
        file: &mut file,
        failed: None,
    };
    let value = write(&mut output).map_err(|e| match (e, output.failed) {
        (eseal::Error::Io { .. }, Some(source)) => eseal::Error::Io {
            path: path.to_path_buf(),
            source,
        },
        (e, _) => e,
    })?;
    file.commit()?;
    Ok(value)
}

/// The file [`write_output`] writes, remembering the first write that failed.
pub struct Output<'a> {
    file: &'a mut eseal::AtomicFile,
    failed: Option<std::io::Error>,
}

impl Output<'_> {
    fn note<T>(&mut self, result: std::io::Result<T>) -> std::io::Result<T> {
        if let (Err(e), None) = (&result, &self.failed) {
            self.failed = Some(match e.raw_os_error() {
                Some(code) => std::io::Error::from_raw_os_error(code),
                None => std::io::Error::new(e.kind(), e.to_string()),
            });
        }
        result
    }
}

impl std::io::Write for Output<'_> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let result = self.file.write(buf);
        self.note(result)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        let result = self.file.flush();
        self.note(result)
    }
}

impl std::io::Seek for Output<'_> {
    fn seek(&mut self, pos: std::io::SeekFrom) -> std::io::Result<u64> {
        let result = self.file.seek(pos);
        self.note(result)
    }
}

/// `error` naming `input` when it is an I/O error of the file the library read as `label`.
pub fn input_named(error: eseal::Error, label: &str, input: &std::path::Path) -> eseal::Error {
    match error {
        eseal::Error::Io { path, source } if path.as_os_str() == label => eseal::Error::Io {
            path: input.to_path_buf(),
            source,
        },
        other => other,
    }
}

/// Like [`write_file`], for a private key: readable by its owner only (0600).
pub fn write_secret(path: &std::path::Path, bytes: &[u8]) -> eseal::Result<()> {
    eseal::write_secret(path, bytes)
}
