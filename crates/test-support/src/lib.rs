//! What the integration tests that start real processes share.
//!
//! - [`free_port`]: a loopback port for a server a test starts. Asking the kernel for port 0
//!   and handing that number to a child races: another test of the same binary may be given
//!   the same number before the child binds it, and a client connection may take it (port 0
//!   comes from the ephemeral range clients use). Ports here come from below that range,
//!   are never handed out twice by one process, and are checked free when handed out.
//! - [`Process`]: a child process that is killed and reaped when dropped, so a failing test
//!   (a panic unwinds through it) leaves nothing running.

#![deny(missing_docs)]

use std::net::TcpListener;
use std::process::Child;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU32, Ordering};

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

/// A child process that is killed (SIGKILL) and reaped when dropped.
#[derive(Debug)]
pub struct Process(Option<Child>);

impl Process {
    /// Takes charge of `child`.
    pub fn new(child: Child) -> Self {
        Self(Some(child))
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

    /// Gives the child back, no longer killed on drop (for `wait_with_output`, say).
    pub fn into_child(mut self) -> Child {
        self.0.take().expect("the child is held until the guard is dropped")
    }
}

impl Drop for Process {
    fn drop(&mut self) {
        self.kill();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
