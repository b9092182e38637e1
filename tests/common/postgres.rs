//! A private PostgreSQL server for the tests and benchmarks: Debian's `postgresql`
//! (`scripts/setup.sh` installs it) started with `initdb` and `pg_ctl` in a temporary
//! folder, on a free loopback port, as an unprivileged user (`postgres` when the tests run
//! as root), with TLS on (a CA of its own). One server per test process, started on first
//! use; each test takes a database of its own. A watchdog stops the server and removes the
//! folder when the test process ends.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU32, Ordering};

/// The running server.
pub struct Server {
    /// Its folder: `data/` (the cluster), the socket, `ca.pem`.
    pub dir: PathBuf,
    /// Its loopback port.
    pub port: u16,
    /// The folder of PostgreSQL's programs.
    pub bin: PathBuf,
}

/// The user the server runs as when the tests run as root.
const SERVER_USER: &str = "postgres";

/// The server of this test process, started on first use.
pub fn server() -> &'static Server {
    static SERVER: OnceLock<Server> = OnceLock::new();
    SERVER.get_or_init(start)
}

/// A new, empty database on the server; its URL (user `eseal`, no password, loopback).
pub fn database() -> String {
    server().database()
}

impl Server {
    /// A new, empty database; its URL.
    pub fn database(&self) -> String {
        static NEXT: AtomicU32 = AtomicU32::new(0);
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let name = format!("t{}_{n}", std::process::id());
        self.sql("postgres", &format!("CREATE DATABASE {name}"));
        self.url(&name)
    }

    /// The URL of database `db`.
    pub fn url(&self, db: &str) -> String {
        format!("postgresql://eseal@127.0.0.1:{}/{db}", self.port)
    }

    /// The CA certificate (PEM) that issued the server's TLS certificate.
    pub fn ca(&self) -> PathBuf {
        self.dir.join("ca.pem")
    }

    /// Runs `sql` with `psql` in database `db`; its output (unaligned, tuples only).
    /// Panics when psql fails.
    pub fn sql(&self, db: &str, sql: &str) -> String {
        let out = self.psql(db, sql);
        assert!(
            out.status.success(),
            "psql {sql:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap().trim().to_owned()
    }

    /// `psql` running `sql` in database `db`, whatever its outcome.
    pub fn psql(&self, db: &str, sql: &str) -> std::process::Output {
        self.psql_as("eseal", db, sql)
    }

    /// `psql` running `sql` in database `db` as `user`, whatever its outcome.
    pub fn psql_as(&self, user: &str, db: &str, sql: &str) -> std::process::Output {
        Command::new(self.bin.join("psql"))
            .args([
                "-X",
                "-q",
                "-At",
                "-v",
                "ON_ERROR_STOP=1",
                "-h",
                "127.0.0.1",
            ])
            .args([
                "-p",
                &self.port.to_string(),
                "-U",
                user,
                "-d",
                db,
                "-c",
                sql,
            ])
            .output()
            .expect("psql runs")
    }

    /// Runs `pg_ctl` with `args` on the cluster, as the server's user.
    pub fn pg_ctl(&self, args: &[&str]) {
        let data = self.dir.join("data");
        let status = as_server_user(&self.bin.join("pg_ctl"))
            .arg("-D")
            .arg(&data)
            .args(["-w", "-l"])
            .arg(self.dir.join("log"))
            .args(args)
            .stdout(Stdio::null())
            .status()
            .expect("pg_ctl runs");
        assert!(
            status.success(),
            "pg_ctl {args:?} failed; see {}",
            self.dir.join("log").display()
        );
    }
}

/// The folder of the newest installed PostgreSQL's programs.
fn bin_dir() -> PathBuf {
    let mut found: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .expect("PostgreSQL is installed (scripts/setup.sh installs Debian's postgresql)")
        .filter_map(|e| {
            let e = e.ok()?;
            let version = e.file_name().to_str()?.parse().ok()?;
            let bin = e.path().join("bin");
            bin.join("initdb").exists().then_some((version, bin))
        })
        .collect();
    found.sort();
    found
        .pop()
        .expect("initdb in /usr/lib/postgresql/*/bin (scripts/setup.sh installs it)")
        .1
}

fn is_root() -> bool {
    use std::os::unix::fs::MetadataExt;
    std::fs::metadata("/proc/self").is_ok_and(|m| m.uid() == 0)
}

/// `program`, run as the server's user when the tests run as root.
fn as_server_user(program: &Path) -> Command {
    if is_root() {
        let mut c = Command::new("runuser");
        c.args(["-u", SERVER_USER, "--"]).arg(program);
        c
    } else {
        Command::new(program)
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn run(command: &mut Command) {
    let out = command.output().expect("the program runs");
    assert!(
        out.status.success(),
        "{command:?}: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A CA and a server certificate for 127.0.0.1 (openssl CLI), in `dir`.
fn tls_files(dir: &Path) {
    let openssl = |args: &[&str]| run(Command::new("openssl").current_dir(dir).args(args));
    openssl(&[
        "ecparam",
        "-name",
        "prime256v1",
        "-genkey",
        "-noout",
        "-out",
        "ca.key",
    ]);
    openssl(&[
        "req",
        "-x509",
        "-new",
        "-key",
        "ca.key",
        "-out",
        "ca.pem",
        "-days",
        "30",
        "-subj",
        "/CN=eseal test registry CA",
        "-addext",
        "basicConstraints=critical,CA:TRUE",
        "-addext",
        "keyUsage=critical,keyCertSign,cRLSign",
    ]);
    openssl(&[
        "ecparam",
        "-name",
        "prime256v1",
        "-genkey",
        "-noout",
        "-out",
        "server.key",
    ]);
    openssl(&[
        "req",
        "-new",
        "-key",
        "server.key",
        "-out",
        "server.csr",
        "-subj",
        "/CN=127.0.0.1",
    ]);
    std::fs::write(
        dir.join("server.ext"),
        "basicConstraints=critical,CA:FALSE\nsubjectAltName=IP:127.0.0.1\n\
         extendedKeyUsage=serverAuth\nkeyUsage=critical,digitalSignature\n",
    )
    .unwrap();
    openssl(&[
        "x509",
        "-req",
        "-in",
        "server.csr",
        "-CA",
        "ca.pem",
        "-CAkey",
        "ca.key",
        "-CAcreateserial",
        "-out",
        "server.crt",
        "-days",
        "30",
        "-extfile",
        "server.ext",
    ]);
}

/// Starts a server of its own (for a test that stops or restarts it); it stops when the
/// test process ends.
pub fn start() -> Server {
    let bin = bin_dir();
    let dir = tempfile::Builder::new()
        .prefix("eseal-pg-")
        .tempdir()
        .unwrap()
        .keep();
    tls_files(&dir);
    if is_root() {
        run(Command::new("chown").arg("-R").arg(SERVER_USER).arg(&dir));
    }
    // The server's key must be private to its user.
    std::fs::set_permissions(
        dir.join("server.key"),
        std::os::unix::fs::PermissionsExt::from_mode(0o600),
    )
    .unwrap();
    let data = dir.join("data");
    run(as_server_user(&bin.join("initdb"))
        .arg("-D")
        .arg(&data)
        .args([
            "-U",
            "eseal",
            "--auth=trust",
            "-E",
            "UTF8",
            "--no-locale",
            "--no-sync",
        ]));
    let conf = format!(
        "listen_addresses = '127.0.0.1'\nport = {port}\nunix_socket_directories = '{dir}'\n\
         ssl = on\nssl_cert_file = '{dir}/server.crt'\nssl_key_file = '{dir}/server.key'\n\
         max_connections = 200\nfsync = on\n",
        port = free_port(),
        dir = dir.display()
    );
    let port = conf
        .lines()
        .find_map(|l| l.strip_prefix("port = "))
        .unwrap()
        .parse()
        .unwrap();
    let mut file = std::fs::OpenOptions::new()
        .append(true)
        .open(data.join("postgresql.conf"))
        .unwrap();
    std::io::Write::write_all(&mut file, conf.as_bytes()).unwrap();
    let server = Server { dir, port, bin };
    server.pg_ctl(&["start"]);
    watchdog(&server);
    server
}

/// Stops the server and removes its folder once this process is gone.
fn watchdog(server: &Server) {
    let script = format!(
        "while [ -e /proc/{pid} ]; do sleep 1; done; \
         '{pg_ctl}' -D '{dir}/data' stop -m immediate >/dev/null 2>&1; rm -rf '{dir}'",
        pid = std::process::id(),
        pg_ctl = server.bin.join("pg_ctl").display(),
        dir = server.dir.display()
    );
    // The shell leaves the watchdog in the background and exits: it outlives this process.
    let mut command = as_server_user(Path::new("/bin/sh"));
    command
        .args(["-c", &format!("({script}) </dev/null >/dev/null 2>&1 &")])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    // Its own process group, so that a signal to the test run's group does not reach it.
    std::os::unix::process::CommandExt::process_group(&mut command, 0);
    let status = command.status().expect("the watchdog starts");
    assert!(status.success());
}
