//! `eseal serve` under load, each figure beside its bare baseline measured in the same run:
//! `cargo bench --bench serve_load` (about a minute; ESEAL_BENCH_SECONDS scales the phases).
//!
//! 1. Throughput: sealed-PDF verifications per second through HTTP (one keep-alive
//!    connection per client thread, twice as many threads as cores so that the service's
//!    verification slots never wait for a request in transit, `POST /v1/verify`) beside
//!    the same verifications by an in-process `eseal::Verifier` loaded from the same trust
//!    folder on as many threads as cores, and the CPU time each verification costs the
//!    verifying process. On a busy machine the throughput ratio leans towards HTTP (its service and
//!    clients run more threads, which get more of the CPU); the CPU ratio does not.
//! 2. Slow clients: 200 clients from 127.0.0.2 trickle one byte of a request head a second
//!    and reconnect as soon as they are dropped, while legitimate clients from 127.0.0.1
//!    verify a licence QR and ask for timestamps (`POST /tsa`), each request on a new
//!    connection; their latencies beside the same clients with no slow ones.
//!
//! The service is `eseal demo --serve`, started and killed here. Clients and service share
//! the machine: read the ratios.

use std::io::{BufRead, BufReader, ErrorKind, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::thread;
use std::time::{Duration, Instant, SystemTime};

use eseal::{DigestAlgorithm, Indication, TimestampRequest, Verifier};

const SLOW_CLIENTS: usize = 200;
const SLOW_SOURCE: [u8; 4] = [127, 0, 0, 2];
/// Legitimate clients pause this long between requests.
const PAUSE: Duration = Duration::from_millis(10);

fn main() {
    let scale: f64 = std::env::var("ESEAL_BENCH_SECONDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(1.0);
    // `cargo test --benches` runs this too; keep that quick.
    let full = std::env::args().any(|a| a == "--bench");
    let seconds = |s: f64| Duration::from_secs_f64(if full { s * scale } else { 0.2 });
    let cores = thread::available_parallelism().map_or(1, |n| n.get());
    println!("{cores} cores; the service and its clients share them");

    let temp = tempfile::tempdir().expect("temp dir");
    let mut service = Service::start(temp.path());
    let dir = temp.path().join("demo");
    let pdf = std::fs::read(dir.join("licence-lta.pdf")).expect("licence-lta.pdf");
    let qr = std::fs::read(dir.join("licence.qr.txt")).expect("licence.qr.txt");
    let verifier = verifier(&dir.join("trust"));
    let report = verifier.verify(&pdf, SystemTime::now()).expect("verifies");
    assert_eq!(report.indication(), Some(Indication::TotalPassed));

    // 1. Throughput, in alternating rounds so that the machine's other load hits both alike;
    // the CPU time of the process that verifies (this one, or the service) beside it.
    const ROUNDS: usize = 8;
    let (mut local, mut http) = (Tally::default(), Tally::default());
    for _ in 0..ROUNDS {
        local.add(std::process::id(), || {
            in_process(&verifier, &pdf, cores, seconds(1.0))
        });
        // Twice as many connections as verification slots: while one request travels,
        // another waits at the slot, as a service's callers keep it busy.
        http.add(service.child.id(), || {
            over_http(service.address, &pdf, 2 * cores, seconds(1.0))
        });
    }
    println!(
        "\nPDF verification ({} bytes; {cores} threads in process, {} connections):",
        pdf.len(),
        2 * cores
    );
    println!("  {:<18} {:>10} {:>12}", "", "per second", "CPU ms each");
    for (name, tally) in [("in process", &local), ("HTTP /v1/verify", &http)] {
        println!(
            "  {name:<18} {:>10.1} {:>12.2}",
            tally.rate(),
            tally.cpu_ms()
        );
    }
    println!(
        "  HTTP ÷ in process: {:.2} × the throughput (goal ≥ 0.8), {:.2} × the CPU \
         (the service's; its clients' not counted)",
        http.rate() / local.rate(),
        http.cpu_ms() / local.cpu_ms()
    );

    // 2. Legitimate clients alone, then beside the slow ones.
    let tsa_query = TimestampRequest::new(DigestAlgorithm::Sha256, vec![7; 32])
        .to_der()
        .expect("a timestamp request");
    let legit = [
        Legit::new("verify QR", "/v1/verify", "text/plain", qr),
        Legit::new(
            "timestamp",
            "/tsa",
            "application/timestamp-query",
            tsa_query,
        ),
    ];
    let alone = legitimate(service.address, &legit, seconds(10.0));
    let slow_clients = if full { SLOW_CLIENTS } else { 4 };
    let stop = Arc::new(AtomicBool::new(false));
    let slow = SlowClients::start(service.address, slow_clients, &stop);
    // The slow ones take their places first.
    thread::sleep(if full {
        Duration::from_secs(2)
    } else {
        Duration::ZERO
    });
    let overflows = listen_overflows();
    let attacked = legitimate(service.address, &legit, seconds(20.0));
    let overflows = listen_overflows()
        .zip(overflows)
        .map(|(after, before)| after - before);
    stop.store(true, Ordering::Relaxed);
    let (connects, held) = slow.finish();

    println!(
        "\nLegitimate clients from 127.0.0.1, a new connection per request, {} ms apart:",
        PAUSE.as_millis()
    );
    println!(
        "  {:<10} {:<16} {:>8} {:>8} {:>8} {:>17}",
        "request", "beside", "p50 ms", "p99 ms", "max ms", "answered / sent"
    );
    for (i, l) in legit.iter().enumerate() {
        for (beside, stats) in [("nothing", &alone[i]), ("slow clients", &attacked[i])] {
            println!(
                "  {:<10} {:<16} {:>8.1} {:>8.1} {:>8.1} {:>8} / {:<8}",
                l.name,
                beside,
                stats.percentile(0.50),
                stats.percentile(0.99),
                stats.percentile(1.0),
                stats.answered,
                stats.sent
            );
        }
        println!(
            "  {:<10} p99 beside slow clients: {:.2} × alone (goal: < 100 ms, all answered)",
            "",
            attacked[i].percentile(0.99) / alone[i].percentile(0.99)
        );
    }
    println!(
        "  {slow_clients} slow clients from 127.0.0.2 connected {connects} times; \
         at the end {held} held a connection"
    );

    if let Some(overflows) = overflows {
        println!("  SYNs dropped meanwhile on a full accept queue (machine-wide): {overflows}");
    }
    service.stop();
}

/// The machine's count of SYNs dropped on a full accept queue (Linux: `ListenOverflows`
/// in /proc/net/netstat).
fn listen_overflows() -> Option<u64> {
    let text = std::fs::read_to_string("/proc/net/netstat").ok()?;
    let mut lines = text.lines().filter(|l| l.starts_with("TcpExt:"));
    let (names, values) = (lines.next()?, lines.next()?);
    let at = names.split(' ').position(|n| n == "ListenOverflows")?;
    values.split(' ').nth(at)?.parse().ok()
}

/// `eseal demo --serve` on a free port of 127.0.0.1.
struct Service {
    child: Child,
    address: SocketAddr,
}

impl Service {
    /// The demo in `temp`/demo, the service's log in `temp`/service.log.
    fn start(temp: &Path) -> Service {
        let log = std::fs::File::create(temp.join("service.log")).expect("service log");
        let mut child = Command::new(env!("CARGO_BIN_EXE_eseal"))
            .args(["demo", "--serve", "--listen", "127.0.0.1:0", "--out"])
            .arg(temp.join("demo"))
            .stdout(Stdio::piped())
            .stderr(log)
            .spawn()
            .expect("eseal demo --serve starts");
        let mut lines = BufReader::new(child.stdout.take().expect("stdout")).lines();
        let url = loop {
            let line = lines
                .next()
                .expect("eseal demo --serve prints its URL")
                .expect("stdout");
            if let Some(rest) = line.strip_prefix("http://") {
                break rest.trim_end_matches('/').to_owned();
            }
        };
        // Keep reading so that the service never blocks on a full pipe.
        thread::spawn(move || lines.for_each(drop));
        Service {
            child,
            address: url.parse().expect("the URL's address"),
        }
    }

    fn stop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Service {
    fn drop(&mut self) {
        self.stop();
    }
}

/// A verifier with the trust folder the service loads.
fn verifier(trust: &Path) -> Verifier {
    let mut verifier = Verifier::new();
    let files = |kind: &str| {
        let mut paths: Vec<_> = std::fs::read_dir(trust.join(kind))
            .map(|entries| entries.map(|e| e.expect("entry").path()).collect())
            .unwrap_or_default();
        paths.sort();
        paths.into_iter().map(|p| std::fs::read(p).expect("read"))
    };
    for bytes in files("anchors") {
        verifier.add_anchors(&bytes).expect("anchors");
    }
    for bytes in files("intermediates") {
        verifier.add_intermediates(&bytes).expect("intermediates");
    }
    for bytes in files("crls") {
        verifier.add_crl(&bytes).expect("CRL");
    }
    for bytes in files("trust-lists") {
        verifier
            .add_trust_list(&bytes, SystemTime::now())
            .expect("trust list");
    }
    for bytes in files("status-lists") {
        verifier.add_status_list(&bytes).expect("status list");
    }
    verifier
}

/// Verifications done, the seconds they took and the CPU time spent on them.
#[derive(Default)]
struct Tally {
    done: u64,
    seconds: f64,
    cpu_seconds: f64,
}

impl Tally {
    /// Runs `round`, counting the CPU time process `pid` spent meanwhile.
    fn add(&mut self, pid: u32, round: impl FnOnce() -> (u64, f64)) {
        let cpu = cpu_seconds(pid);
        let (done, seconds) = round();
        self.cpu_seconds += cpu_seconds(pid) - cpu;
        self.done += done;
        self.seconds += seconds;
    }

    fn rate(&self) -> f64 {
        self.done as f64 / self.seconds
    }

    fn cpu_ms(&self) -> f64 {
        self.cpu_seconds * 1000.0 / self.done as f64
    }
}

/// The CPU time (user and system) process `pid` has spent, from /proc/PID/stat.
fn cpu_seconds(pid: u32) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).expect("/proc/PID/stat");
    // After the command's closing parenthesis come field 3 on; utime and stime are 14 and 15.
    let fields: Vec<&str> = stat[stat.rfind(')').expect("stat") + 1..]
        .split_whitespace()
        .collect();
    let ticks: u64 =
        fields[11].parse::<u64>().expect("utime") + fields[12].parse::<u64>().expect("stime");
    // SAFETY: sysconf only reads a configuration value.
    let per_second = unsafe { libc::sysconf(libc::_SC_CLK_TCK) };
    ticks as f64 / per_second as f64
}

/// Verifications of `pdf` by `threads` threads sharing `verifier` for `time`, and the
/// seconds they took.
fn in_process(verifier: &Verifier, pdf: &[u8], threads: usize, time: Duration) -> (u64, f64) {
    let start = Instant::now();
    let done: u64 = thread::scope(|s| {
        let workers: Vec<_> = (0..threads)
            .map(|_| {
                s.spawn(|| {
                    let mut n = 0u64;
                    while start.elapsed() < time {
                        verifier.verify(pdf, SystemTime::now()).expect("verifies");
                        n += 1;
                    }
                    n
                })
            })
            .collect();
        workers.into_iter().map(|w| w.join().expect("worker")).sum()
    });
    (done, start.elapsed().as_secs_f64())
}

/// Verifications of `pdf` through `POST /v1/verify` by `threads` threads, each on one
/// keep-alive connection, for `time`, and the seconds they took.
fn over_http(address: SocketAddr, pdf: &[u8], threads: usize, time: Duration) -> (u64, f64) {
    let start = Instant::now();
    let done: u64 = thread::scope(|s| {
        let workers: Vec<_> = (0..threads)
            .map(|_| {
                s.spawn(|| {
                    let mut connection = Http::connect(address).expect("connects");
                    let mut n = 0u64;
                    while start.elapsed() < time {
                        let (status, body) = connection
                            .post("/v1/verify", "application/pdf", pdf)
                            .expect("answered");
                        assert_eq!(status, 200, "{}", String::from_utf8_lossy(&body));
                        assert!(
                            body.windows(14).any(|w| w == b"\"TOTAL-PASSED\""),
                            "{}",
                            String::from_utf8_lossy(&body)
                        );
                        n += 1;
                    }
                    n
                })
            })
            .collect();
        workers.into_iter().map(|w| w.join().expect("worker")).sum()
    });
    (done, start.elapsed().as_secs_f64())
}

/// A kind of request legitimate clients make.
struct Legit {
    name: &'static str,
    path: &'static str,
    content_type: &'static str,
    body: Vec<u8>,
}

impl Legit {
    fn new(
        name: &'static str,
        path: &'static str,
        content_type: &'static str,
        body: Vec<u8>,
    ) -> Self {
        Legit {
            name,
            path,
            content_type,
            body,
        }
    }
}

/// Latencies (ms) of the requests answered, and the count sent.
#[derive(Default)]
struct Latencies {
    ms: Vec<f64>,
    sent: usize,
    answered: usize,
}

impl Latencies {
    /// The `q` quantile (nearest rank) of the answered requests' latencies.
    fn percentile(&self, q: f64) -> f64 {
        if self.ms.is_empty() {
            return f64::NAN;
        }
        let mut sorted = self.ms.clone();
        sorted.sort_by(f64::total_cmp);
        let rank = ((q * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len());
        sorted[rank - 1]
    }
}

/// One thread per kind of request in `legit`, each sending it on a new connection, then
/// pausing, for `time`; a request is answered when a 200 arrives.
fn legitimate(address: SocketAddr, legit: &[Legit], time: Duration) -> Vec<Latencies> {
    let start = Instant::now();
    thread::scope(|s| {
        let workers: Vec<_> = legit
            .iter()
            .map(|l| {
                s.spawn(move || {
                    let mut stats = Latencies::default();
                    while start.elapsed() < time {
                        let began = Instant::now();
                        stats.sent += 1;
                        let answer = Http::connect(address)
                            .and_then(|mut c| c.post(l.path, l.content_type, &l.body));
                        if let Ok((200, _)) = answer {
                            stats.answered += 1;
                            stats.ms.push(began.elapsed().as_secs_f64() * 1000.0);
                        }
                        thread::sleep(PAUSE);
                    }
                    stats
                })
            })
            .collect();
        workers
            .into_iter()
            .map(|w| w.join().expect("client"))
            .collect()
    })
}

/// HTTP/1.1 on one connection: requests with a Content-Length, responses read whole.
struct Http {
    reader: BufReader<TcpStream>,
}

impl Http {
    fn connect(address: SocketAddr) -> std::io::Result<Http> {
        let stream = TcpStream::connect(address)?;
        stream.set_nodelay(true)?;
        stream.set_read_timeout(Some(Duration::from_secs(30)))?;
        Ok(Http {
            reader: BufReader::new(stream),
        })
    }

    /// The status and body of the response to a POST of `body` to `path`.
    fn post(
        &mut self,
        path: &str,
        content_type: &str,
        body: &[u8],
    ) -> std::io::Result<(u16, Vec<u8>)> {
        let mut request = format!(
            "POST {path} HTTP/1.1\r\nHost: bench\r\nContent-Type: {content_type}\r\n\
             Content-Length: {}\r\n\r\n",
            body.len()
        )
        .into_bytes();
        request.extend_from_slice(body);
        self.reader.get_mut().write_all(&request)?;

        let broken = |what: &str| std::io::Error::new(ErrorKind::InvalidData, what.to_owned());
        let mut line = String::new();
        self.reader.read_line(&mut line)?;
        let status: u16 = line
            .split(' ')
            .nth(1)
            .and_then(|s| s.parse().ok())
            .ok_or_else(|| broken("status line"))?;
        let mut length = None;
        loop {
            line.clear();
            if self.reader.read_line(&mut line)? == 0 {
                return Err(broken("end of stream in the head"));
            }
            let line = line.trim_end();
            if line.is_empty() {
                break;
            }
            if let Some((name, value)) = line.split_once(':')
                && name.eq_ignore_ascii_case("content-length")
            {
                length = value.trim().parse::<usize>().ok();
            }
        }
        let mut body = vec![0; length.ok_or_else(|| broken("no Content-Length"))?];
        self.reader.read_exact(&mut body)?;
        Ok((status, body))
    }
}

/// Clients from 127.0.0.2 that send a request head one byte a second and reconnect as soon
/// as they are dropped.
struct SlowClients {
    threads: Vec<thread::JoinHandle<()>>,
    connects: Arc<AtomicU64>,
    held: Arc<AtomicU64>,
}

impl SlowClients {
    fn start(address: SocketAddr, count: usize, stop: &Arc<AtomicBool>) -> SlowClients {
        let connects = Arc::new(AtomicU64::new(0));
        let held = Arc::new(AtomicU64::new(0));
        let threads = (0..count)
            .map(|_| {
                let (stop, connects, held) = (stop.clone(), connects.clone(), held.clone());
                thread::Builder::new()
                    .stack_size(64 << 10)
                    .spawn(move || slow_client(address, &stop, &connects, &held))
                    .expect("slow client thread")
            })
            .collect();
        SlowClients {
            threads,
            connects,
            held,
        }
    }

    /// Joins the clients (stopped by their flag): the connections made, and how many were
    /// open when they stopped.
    fn finish(self) -> (u64, u64) {
        for t in self.threads {
            t.join().expect("slow client");
        }
        (
            self.connects.load(Ordering::Relaxed),
            self.held.load(Ordering::Relaxed),
        )
    }
}

fn slow_client(address: SocketAddr, stop: &AtomicBool, connects: &AtomicU64, held: &AtomicU64) {
    const HEAD: &[u8] = b"POST /v1/verify HTTP/1.1\r\nHost: bench\r\nX-Slow: ";
    let source = SocketAddr::from((SLOW_SOURCE, 0));
    while !stop.load(Ordering::Relaxed) {
        let Ok(mut stream) = connect_from(source, address) else {
            thread::sleep(Duration::from_millis(10));
            continue;
        };
        connects.fetch_add(1, Ordering::Relaxed);
        let mut sent = 0usize;
        let open = loop {
            if stop.load(Ordering::Relaxed) {
                break true;
            }
            let byte = HEAD.get(sent).copied().unwrap_or(b'a');
            if stream.write_all(&[byte]).is_err() {
                break false;
            }
            sent += 1;
            // Waits a second unless the service closes the connection (or answers).
            match stream.read(&mut [0; 512]) {
                Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {}
                _ => break false,
            }
        };
        if open {
            held.fetch_add(1, Ordering::Relaxed);
        }
    }
}

/// A connection to `address` from `source`, with a one-second read timeout.
fn connect_from(source: SocketAddr, address: SocketAddr) -> std::io::Result<TcpStream> {
    let socket = socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::STREAM, None)?;
    socket.bind(&source.into())?;
    socket.connect(&address.into())?;
    let stream = TcpStream::from(socket);
    stream.set_nodelay(true)?;
    stream.set_read_timeout(Some(Duration::from_secs(1)))?;
    Ok(stream)
}
