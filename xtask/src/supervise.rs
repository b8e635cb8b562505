//! The processes `cargo xtask run` starts (the host and the storefront), kept together: when
//! one exits, or xtask itself is asked to stop (SIGTERM, SIGHUP), the others get SIGTERM,
//! are given time to finish their requests, and are waited for, so stopping `cargo xtask run`
//! never leaves a shop running. (Ctrl-C reaches every process of the terminal by itself.)

use std::process::{Child, Command, ExitStatus};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

/// Set when xtask receives SIGTERM or SIGHUP (instead of dying at once).
pub fn stop_flag() -> std::io::Result<Arc<AtomicBool>> {
    let flag = Arc::new(AtomicBool::new(false));
    for signal in [signal_hook::consts::SIGTERM, signal_hook::consts::SIGHUP] {
        signal_hook::flag::register(signal, flag.clone())?;
    }
    Ok(flag)
}

/// Children started together, stopped together.
pub struct Supervised {
    children: Vec<(&'static str, Child)>,
    /// How long a child may take to stop after SIGTERM before it is killed.
    grace: Duration,
}

/// How supervision ended.
#[derive(Debug, PartialEq, Eq)]
pub enum Ended {
    /// A stop was asked for; every child was stopped.
    Stopped,
    /// This child exited (with this status) first; the others were stopped.
    Exited(&'static str, ExitStatus),
}

impl Supervised {
    /// No children yet; each gets `grace` to stop.
    pub fn new(grace: Duration) -> Self {
        Self { children: Vec::new(), grace }
    }

    /// Adds a started child.
    pub fn add(&mut self, name: &'static str, child: Child) {
        self.children.push((name, child));
    }

    /// The first child that has exited, if any.
    pub fn exited(&mut self) -> Option<(&'static str, ExitStatus)> {
        self.children.iter_mut().find_map(|(name, child)| child.try_wait().ok().flatten().map(|status| (*name, status)))
    }

    /// Waits until a child exits or `stop` is set, then stops every child still running.
    pub fn wait(&mut self, stop: &AtomicBool) -> Ended {
        loop {
            if stop.load(Ordering::SeqCst) {
                self.stop_all();
                return Ended::Stopped;
            }
            if let Some((name, status)) = self.exited() {
                self.stop_all();
                return Ended::Exited(name, status);
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// SIGTERM to every child still running, then waits for each (SIGKILL past the grace).
    pub fn stop_all(&mut self) {
        for (_, child) in &mut self.children {
            if child.try_wait().ok().flatten().is_none() {
                let _ = Command::new("kill").args(["-TERM", &child.id().to_string()]).status();
            }
        }
        let deadline = Instant::now() + self.grace;
        for (name, child) in &mut self.children {
            loop {
                match child.try_wait() {
                    Ok(Some(_)) | Err(_) => break,
                    Ok(None) if Instant::now() >= deadline => {
                        eprintln!("xtask: {name} did not stop within {:?}; killing it", self.grace);
                        let _ = child.kill();
                        let _ = child.wait();
                        break;
                    }
                    Ok(None) => std::thread::sleep(Duration::from_millis(50)),
                }
            }
        }
    }
}

impl Drop for Supervised {
    fn drop(&mut self) {
        self.stop_all();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A child that records the SIGTERM it gets in `log`, then exits.
    fn child_recording_sigterm(log: &std::path::Path) -> Child {
        let script = format!("trap 'echo terminated >> {}; exit 0' TERM; while :; do sleep 0.05; done", log.display());
        Command::new("sh").args(["-c", &script]).spawn().unwrap()
    }

    fn is_running(pid: u32) -> bool {
        std::fs::read_to_string(format!("/proc/{pid}/stat")).is_ok_and(|stat| !stat.contains(") Z "))
    }

    #[test]
    fn sigterm_to_xtask_reaches_every_child_and_xtask_waits_for_them() {
        let dir = tempfile::tempdir().unwrap();
        let stop = stop_flag().unwrap();
        let mut supervised = Supervised::new(Duration::from_secs(10));
        let (host_log, web_log) = (dir.path().join("host"), dir.path().join("web"));
        supervised.add("shop-host", child_recording_sigterm(&host_log));
        supervised.add("shop-web", child_recording_sigterm(&web_log));
        let pids: Vec<u32> = supervised.children.iter().map(|(_, c)| c.id()).collect();
        std::thread::sleep(Duration::from_millis(200)); // the traps are set
        // SIGTERM to this process, as a service manager would send it to `cargo xtask run`.
        assert!(Command::new("kill").args(["-TERM", &std::process::id().to_string()]).status().unwrap().success());
        assert_eq!(supervised.wait(&stop), Ended::Stopped);
        for (log, pid) in [(&host_log, pids[0]), (&web_log, pids[1])] {
            assert_eq!(std::fs::read_to_string(log).unwrap().trim(), "terminated", "the child got SIGTERM");
            assert!(!is_running(pid), "and was waited for");
        }
    }

    #[test]
    fn when_one_child_exits_the_other_is_stopped() {
        let dir = tempfile::tempdir().unwrap();
        let mut supervised = Supervised::new(Duration::from_secs(10));
        let log = dir.path().join("web");
        supervised.add("shop-host", Command::new("sh").args(["-c", "sleep 0.2; exit 3"]).spawn().unwrap());
        supervised.add("shop-web", child_recording_sigterm(&log));
        match supervised.wait(&AtomicBool::new(false)) {
            Ended::Exited(name, status) => assert_eq!((name, status.code()), ("shop-host", Some(3))),
            other => panic!("{other:?}"),
        }
        assert_eq!(std::fs::read_to_string(&log).unwrap().trim(), "terminated");
    }
}
