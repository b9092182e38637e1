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
mod speed_cmd;
mod tsa_cmd;
mod verify_cmd;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// Exit code for a usage error (sysexits EX_USAGE).
pub const EXIT_USAGE: u8 = 64;
/// Exit code for unreadable input (sysexits EX_DATAERR).
pub const EXIT_UNREADABLE: u8 = 65;

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
    /// audit, status-list, render, trust-list.
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
    /// Verify a PDF, certificate, seal, seal signature or timestamp token as of a time.
    Verify(verify_cmd::Args),
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
    let result = match cli.command {
        Command::Demo(args) => demo::run(args),
        Command::Pki(cmd) => pki_cmd::run(cmd),
        Command::Seal(cmd) => seal_cmd::run(cmd),
        Command::Licence(cmd) => licence_cmd::run(cmd),
        Command::Pdf(cmd) => pdf_cmd::run(cmd),
        Command::Ofd(cmd) => ofd_cmd::run(cmd),
        Command::Tsa(cmd) => tsa_cmd::run(cmd),
        Command::Verify(args) => verify_cmd::run(args),
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

/// Unreadable or unsupported input exits 65; everything else that stops a command is a
/// usage or environment problem, 64.
fn exit_code_for(e: &eseal::Error) -> u8 {
    match e {
        eseal::Error::Malformed { .. }
        | eseal::Error::TooLarge { .. }
        | eseal::Error::UnsupportedAlgorithm(_)
        | eseal::Error::Io { .. } => EXIT_UNREADABLE,
        _ => EXIT_USAGE,
    }
}

/// Reads a key, certificate, CRL or seal file, mapping failures to eseal's error.
pub fn read_file(path: &std::path::Path) -> eseal::Result<Vec<u8>> {
    read_file_up_to(path, eseal::pki::MAX_PKI_FILE as u64, 0)
}

/// Reads a file of at most `limit` bytes in one allocation of its size plus `headroom`.
pub fn read_file_up_to(
    path: &std::path::Path,
    limit: u64,
    headroom: usize,
) -> eseal::Result<Vec<u8>> {
    use std::io::Read;
    let file = std::fs::File::open(path).map_err(|source| eseal::Error::Io {
        path: path.to_path_buf(),
        source,
    })?;
    let size = file.metadata().map(|m| m.len()).unwrap_or(0);
    if size > limit {
        return Err(eseal::Error::TooLarge {
            what: "input file",
            size,
            limit,
        });
    }
    let mut bytes = Vec::with_capacity(size as usize + 1 + headroom);
    file.take(limit + 1)
        .read_to_end(&mut bytes)
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
    Ok(bytes)
}

/// Opens a file for reading, mapping failures to eseal's error.
pub fn open_file(path: &std::path::Path) -> eseal::Result<std::fs::File> {
    std::fs::File::open(path).map_err(|source| eseal::Error::Io {
        path: path.to_path_buf(),
        source,
    })
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
/// the file where needed) into anonymous memory backed by huge pages where the system
/// offers them: a large file then costs a handful of page faults instead of thousands.
pub fn read_large_file(path: &std::path::Path, limit: u64) -> eseal::Result<LargeFile> {
    use std::io::Read;
    let io = |source| eseal::Error::Io {
        path: path.to_path_buf(),
        source,
    };
    let mut file = std::fs::File::open(path).map_err(io)?;
    let size = file.metadata().map_err(io)?.len();
    if size > limit {
        return Err(eseal::Error::TooLarge {
            what: "input file",
            size,
            limit,
        });
    }
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

/// Writes a file, mapping failures to eseal's error.
pub fn write_file(path: &std::path::Path, bytes: &[u8]) -> eseal::Result<()> {
    std::fs::write(path, bytes).map_err(|source| eseal::Error::Io {
        path: path.to_path_buf(),
        source,
    })
}
