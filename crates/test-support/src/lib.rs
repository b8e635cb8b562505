//! What the integration tests that start real processes share.
//!
//! - [`free_port`]: a loopback port for a server a test starts. Asking the kernel for port 0
//!   and handing that number to a child races: another test of the same binary may be given
//!   the same number before the child binds it, and a client connection may take it (port 0
//!   comes from the ephemeral range clients use). Ports here come from below that range,
//!   are never handed out twice by one process, and are checked free when handed out.
//! - [`Process`]: a child process that is killed and reaped when dropped, so a failing test
//!   (a panic unwinds through it) leaves nothing running. [`Process::terminated_on_drop`] is
//!   for servers with processes of their own (nginx's workers): SIGKILL would orphan them.
//! - [`smtp_server`]: the project's real SMTP server for tests (`host/tests/smtp/server.py`
//!   on Debian's python3-aiosmtpd), started and waited for.

#![deny(missing_docs)]

use std::net::TcpListener;
use std::process::{Child, Command};
use std::sync::Mutex;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

/// The ports handed out: below Linux's ephemeral range (32768–60999 by default).
const FIRST_PORT: u32 = 20_000;
const LAST_PORT: u32 = 32_000;

/// The next port to try; seeded per process so test binaries run one after another (and
/// runs of the suite side by side) start from different places.
static NEXT: AtomicU32 = AtomicU32::new(0);
static SEEDED: Mutex<bool> = Mutex::new(false);

fn seed() {
    let mut seeded = SEEDED.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    if !*seeded {
        let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.subsec_nanos()).unwrap_or(0);
        let spread = (std::process::id().wrapping_mul(7919) ^ nanos) % (LAST_PORT - FIRST_PORT);
        NEXT.store(FIRST_PORT + spread, Ordering::SeqCst);
        *seeded = true;
    }
}

/// A loopback port free now and never handed out before by this process.
///
/// # Panics
/// When no port of the range is free.
pub fn free_port() -> u16 {
    seed();
    for _ in FIRST_PORT..=LAST_PORT {
        let candidate = NEXT.fetch_add(1, Ordering::SeqCst);
        let port = FIRST_PORT + (candidate - FIRST_PORT) % (LAST_PORT - FIRST_PORT + 1);
        if TcpListener::bind(("127.0.0.1", port as u16)).is_ok() {
            return port as u16;
        }
    }
    panic!("no free loopback port between {FIRST_PORT} and {LAST_PORT}")
}

/// How long a child asked to stop (SIGTERM) gets before it is killed.
const TERMINATE_GRACE: Duration = Duration::from_secs(5);

/// A child process that is killed (SIGKILL) and reaped when dropped.
#[derive(Debug)]
pub struct Process(Option<Child>, Stop);

/// How a [`Process`] is stopped.
#[derive(Debug, Clone, Copy)]
enum Stop {
    Kill,
    Terminate,
}

impl Process {
    /// Takes charge of `child`.
    pub fn new(child: Child) -> Self {
        Self(Some(child), Stop::Kill)
    }

    /// Takes charge of `child`, which is asked to stop (SIGTERM) when dropped and killed only
    /// if it has not within a few seconds: a master process (nginx) then stops its workers
    /// instead of leaving them running, still bound to the test's ports.
    pub fn terminated_on_drop(child: Child) -> Self {
        Self(Some(child), Stop::Terminate)
    }

    /// The child, for what a test does with it before it ends.
    ///
    /// # Panics
    /// After [`Process::into_child`] took it (which consumes the guard, so never).
    pub fn child(&mut self) -> &mut Child {
        self.0.as_mut().expect("the child is held until the guard is dropped")
    }

    /// The child's process id.
    pub fn id(&self) -> u32 {
        self.0.as_ref().map(Child::id).unwrap_or(0)
    }

    /// Kills the child now and waits for it.
    pub fn kill(&mut self) {
        if let Some(child) = self.0.as_mut() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Asks the child to stop (SIGTERM), waits for it a few seconds, then kills it.
    pub fn terminate(&mut self) {
        let Some(child) = self.0.as_mut() else { return };
        if matches!(child.try_wait(), Ok(None)) {
            let asked = Command::new("kill").args(["-TERM", &child.id().to_string()]).status().is_ok_and(|s| s.success());
            let until = Instant::now() + TERMINATE_GRACE;
            while asked && Instant::now() < until {
                if !matches!(child.try_wait(), Ok(None)) {
                    return;
                }
                std::thread::sleep(Duration::from_millis(20));
            }
        }
        self.kill();
    }

    /// Gives the child back, no longer killed on drop (for `wait_with_output`, say).
    pub fn into_child(mut self) -> Child {
        self.0.take().expect("the child is held until the guard is dropped")
    }
}

impl Drop for Process {
    fn drop(&mut self) {
        match self.1 {
            Stop::Kill => self.kill(),
            Stop::Terminate => self.terminate(),
        }
    }
}

/// The Python with aiosmtpd: Debian's (`cargo xtask test` installs python3-aiosmtpd).
pub const SMTP_PYTHON: &str = "/usr/bin/python3";

/// Starts the SMTP server `script` (`host/tests/smtp/server.py`) on loopback `port`, each
/// message it accepts appended to `record` as a JSON line, and returns once it listens.
///
/// # Panics
/// When Python or aiosmtpd is missing (the message says what to install).
pub fn smtp_server(script: &std::path::Path, port: u16, record: &std::path::Path) -> Process {
    use std::io::BufRead;
    let mut child = Command::new(SMTP_PYTHON)
        .arg(script)
        .arg(port.to_string())
        .arg(record)
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("{SMTP_PYTHON} could not start ({e}): install Debian's python3-aiosmtpd (cargo xtask test does)"));
    let mut ready = String::new();
    let stdout = child.stdout.take().expect("piped");
    let _ = std::io::BufReader::new(stdout).read_line(&mut ready);
    assert_eq!(ready.trim(), "ready", "the SMTP server did not start: is python3-aiosmtpd installed?");
    Process::new(child)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{BufRead, BufReader};
    use std::process::Stdio;

    /// Whether a process runs (a zombie or a missing pid does not).
    fn running(pid: &str) -> bool {
        std::fs::read_to_string(format!("/proc/{pid}/stat"))
            .is_ok_and(|stat| stat.rsplit(')').next().is_some_and(|rest| !rest.trim_start().starts_with('Z')))
    }

    /// A shell that starts a worker (`sleep`), prints its pid, and stops it on SIGTERM, as
    /// nginx's master stops its workers; returns the guard and the worker's pid.
    fn master(guard: fn(Child) -> Process) -> (Process, String) {
        let mut child = Command::new("sh")
            .args(["-c", "sleep 300 & worker=$!; trap 'kill $worker; exit 0' TERM; echo $worker; wait"])
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
        let worker = line.trim().to_owned();
        assert!(running(&worker), "the worker {worker} runs");
        (guard(child), worker)
    }

    fn stopped_within_seconds(pid: &str) -> bool {
        let until = Instant::now() + Duration::from_secs(3);
        while Instant::now() < until {
            if !running(pid) {
                return true;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        false
    }

    #[test]
    fn a_master_terminated_on_drop_stops_its_workers() {
        let (guard, worker) = master(Process::terminated_on_drop);
        drop(guard);
        assert!(stopped_within_seconds(&worker), "the worker {worker} outlived its master");
    }

    #[test]
    fn a_killed_master_orphans_its_workers_which_is_why_terminated_on_drop_exists() {
        let (guard, worker) = master(Process::new);
        drop(guard);
        assert!(running(&worker), "SIGKILL gave the shell no chance to stop its worker");
        let _ = Command::new("kill").arg(&worker).status();
    }

    #[test]
    fn ports_are_never_handed_out_twice() {
        let ports: Vec<u16> = (0..200).map(|_| free_port()).collect();
        let mut unique = ports.clone();
        unique.sort_unstable();
        unique.dedup();
        assert_eq!(unique.len(), ports.len());
        assert!(ports.iter().all(|p| (FIRST_PORT..=LAST_PORT).contains(&u32::from(*p))));
    }

    #[test]
    fn a_dropped_guard_kills_its_child() {
        let process = Process::new(std::process::Command::new("sleep").arg("30").spawn().unwrap());
        let pid = process.id();
        drop(process);
        let alive = std::path::Path::new(&format!("/proc/{pid}")).exists()
            && std::fs::read_to_string(format!("/proc/{pid}/stat")).is_ok_and(|stat| !stat.contains(") Z "));
        assert!(!alive, "the child {pid} still runs");
    }
}
