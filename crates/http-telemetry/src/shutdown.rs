//! Graceful shutdown: on SIGTERM (or Ctrl-C) a server stops accepting connections and lets
//! the requests in flight finish, but only until a deadline, so an orchestrator's stop
//! never hangs on a client that does not finish its request.

use std::future::Future;
use std::time::Duration;
use tokio::sync::watch;

/// Completes on Ctrl-C or SIGTERM.
pub async fn signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    tokio::select! { () = ctrl_c => {}, () = terminate => {} }
}

/// Splits a stop signal in two: a future for the server's graceful shutdown (it completes
/// when `stop` does) and a receiver that tells [`within_deadline`] when the stop began.
pub fn begin(stop: impl Future<Output = ()> + Send + 'static) -> (impl Future<Output = ()> + Send + 'static, watch::Receiver<bool>) {
    let (tx, rx) = watch::channel(false);
    let signal = async move {
        stop.await;
        tracing::info!("shutting down: no new connections; finishing the requests in flight");
        let _ = tx.send(true);
    };
    (signal, rx)
}

/// How a graceful shutdown ended.
#[derive(Debug, PartialEq, Eq)]
pub enum Ending {
    /// Every request in flight finished.
    Drained,
    /// The deadline passed first; the connections still open were dropped.
    DeadlinePassed,
}

/// Drives `serve` (a server with graceful shutdown) to its end, or until `grace` has passed
/// since the stop began.
pub async fn within_deadline<E>(
    serve: impl Future<Output = Result<(), E>>,
    mut began: watch::Receiver<bool>,
    grace: Duration,
) -> Result<Ending, E> {
    let deadline = async move {
        if began.wait_for(|stopping| *stopping).await.is_err() {
            // The sender is gone without a stop: wait for the server alone.
            std::future::pending::<()>().await;
        }
        tokio::time::sleep(grace).await;
    };
    tokio::select! {
        result = serve => result.map(|()| Ending::Drained),
        () = deadline => {
            tracing::warn!(grace_secs = grace.as_secs_f64(), "shutdown deadline passed: dropping the requests still in flight");
            Ok(Ending::DeadlinePassed)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_server_that_drains_in_time_ends_drained() {
        let (stop, began) = begin(async {});
        let serve = async move {
            stop.await;
            tokio::time::sleep(Duration::from_millis(10)).await;
            Ok::<(), ()>(())
        };
        assert_eq!(within_deadline(serve, began, Duration::from_secs(5)).await, Ok(Ending::Drained));
    }

    #[tokio::test]
    async fn a_server_that_does_not_drain_is_cut_at_the_deadline() {
        let (stop, began) = begin(async {});
        let serve = async move {
            stop.await;
            std::future::pending::<Result<(), ()>>().await
        };
        let started = std::time::Instant::now();
        assert_eq!(within_deadline(serve, began, Duration::from_millis(100)).await, Ok(Ending::DeadlinePassed));
        assert!(started.elapsed() < Duration::from_secs(5));
    }

    #[tokio::test]
    async fn no_stop_no_deadline() {
        let (_stop, began) = begin(std::future::pending());
        let serve = async { Ok::<(), ()>(()) };
        assert_eq!(within_deadline(serve, began, Duration::from_millis(1)).await, Ok(Ending::Drained));
    }
}
