//! Running a component: a fresh store and instance per call, with the memory cap and the
//! CPU deadline enforced.

use super::Runtime;
use super::slot::Loaded;
use super::state::HostState;
use crate::bindings::exchange::HttpExchangeServicePre;
use crate::bindings::exchange::exports::shop::platform::http_exchange::Request;
use bytes::Bytes;
use http::{HeaderName, HeaderValue, StatusCode};
use http_body_util::Full;
use std::sync::Arc;
use std::time::Instant;
use wasmtime::{Store, Trap, UpdateDeadline};
use wasmtime_wasi_http::p2::bindings::http::types::Scheme;

/// Why a component call did not produce a response. The first three are the component's
/// doing (or the load's), the last the host's.
#[derive(Debug, thiserror::Error)]
pub enum CallError {
    /// The call ran past the CPU deadline and was interrupted.
    #[error("the component ran past its deadline")]
    Deadline,
    /// All instance slots are in use.
    #[error("too many requests are in progress")]
    Overloaded,
    /// The component trapped (a panic, a memory cap, …) or returned no response.
    #[error("the component failed: {0}")]
    Failed(String),
    /// The host could not set the call up.
    #[error("host error: {0:#}")]
    Host(anyhow::Error),
}

impl CallError {
    /// Classifies a wasmtime error.
    pub fn from_wasmtime(error: wasmtime::Error) -> Self {
        if matches!(error.downcast_ref::<Trap>(), Some(Trap::Interrupt)) {
            Self::Deadline
        } else if error.downcast_ref::<wasmtime::PoolConcurrencyLimitError>().is_some() {
            Self::Overloaded
        } else {
            Self::Failed(format!("{error:#}"))
        }
    }
}

/// A store for one instance of `component`, with its limits and deadline armed.
pub fn new_store(runtime: &Arc<Runtime>, component: Arc<str>) -> Store<HostState> {
    runtime.metrics.instantiated(&component);
    let state = HostState::new(runtime.clone(), component);
    let mut store = Store::new(&runtime.engine, state);
    store.limiter(|state| &mut state.limits);
    // Check the deadline at every epoch tick. An instance that has run for a whole tick
    // since it last yielded yields to the executor, so a busy component never holds a
    // worker thread for long; one that started within the tick goes on (a listing takes a
    // few hundred microseconds: sending it to the back of the queue at every tick it
    // happened to straddle cost the unlucky few percent a whole round of the queue, the
    // tail of the latency). The yield goes through tokio's `yield_now`, which requeues the
    // task behind the others (a plain self-wake may be run again at once by tokio's
    // scheduler, starving every other request).
    //
    // The time a yielded instance waits behind other requests is theirs, not its own: it moves
    // the deadline later (the first check after a yield comes as soon as the instance runs
    // again, the epoch having moved on meanwhile). Without that, a host busy with 64 requests
    // on two threads ended sign-ins (argon2, ~0.1 s of work) at 5 s, the soak run found.
    store.set_epoch_deadline(1);
    store.epoch_deadline_callback(move |mut context| {
        let state = context.data_mut();
        let now = Instant::now();
        if let Some(yielded_at) = state.yielded_at.take() {
            state.deadline += now - yielded_at;
        }
        if now >= state.deadline || now >= state.wall_limit {
            return Ok(UpdateDeadline::Interrupt);
        }
        state.ticks_since_yield += 1;
        if state.ticks_since_yield < super::engine::TICKS_BETWEEN_YIELDS {
            return Ok(UpdateDeadline::Continue(1));
        }
        state.ticks_since_yield = 0;
        state.yielded_at = Some(now);
        Ok(UpdateDeadline::YieldCustom(1, Box::pin(tokio::task::yield_now())))
    });
    store
}

/// The largest answer a component may give; a larger one is refused (the caller answers
/// 502). Components answer JSON documents and pages of them, far below this.
pub const MAX_ANSWER_BYTES: usize = 32 << 20;

/// Serves one HTTP request with a fresh instance of `loaded`, and returns its whole answer.
///
/// A component that exports `shop:platform/http-exchange` gets the request whole in one
/// call and gives its answer back the same way; any other is called through
/// `wasi:http/incoming-handler`. The caller keeps `loaded`, which keeps that version alive
/// until the request is done even if a swap happens meanwhile. With `trace`, the instance
/// records in it what it reads and does (for the response cache); it is complete when this
/// returns.
pub async fn handle_http(
    runtime: &Arc<Runtime>,
    component: Arc<str>,
    loaded: Arc<Loaded>,
    request: hyper::Request<Full<Bytes>>,
    trace: Option<Arc<std::sync::Mutex<response_cache::Trace>>>,
) -> Result<hyper::Response<Bytes>, CallError> {
    if loaded.proxy.is_none() {
        return Err(CallError::Host(anyhow::anyhow!("component {component} does not serve HTTP")));
    }
    // Wait in line for a turn; the turn is held until the instance is done (body included).
    let _turn = match tokio::time::timeout(runtime.settings.queue_timeout, runtime.admission.clone().acquire_owned()).await {
        Ok(Ok(turn)) => turn,
        Ok(Err(_)) | Err(_) => return Err(CallError::Overloaded),
    };
    let mut store = new_store(runtime, component.clone());
    store.data_mut().trace = trace;
    match loaded.exchange.as_ref().filter(|_| runtime.settings.http_exchange) {
        Some(exchange) => {
            runtime.metrics.http_call(&component, "http-exchange");
            exchange_http(&mut store, exchange, request).await
        }
        None => {
            runtime.metrics.http_call(&component, "wasi-http");
            wasi_http(store, &loaded, request).await
        }
    }
}

/// Calls `shop:platform/http-exchange#handle` with the whole request.
async fn exchange_http(
    store: &mut Store<HostState>,
    exchange: &HttpExchangeServicePre<HostState>,
    request: hyper::Request<Full<Bytes>>,
) -> Result<hyper::Response<Bytes>, CallError> {
    let (parts, body) = request.into_parts();
    // The body is whole already (the front read it); `Full` yields it in one frame.
    let body = http_body_util::BodyExt::collect(body).await.map(|collected| collected.to_bytes()).unwrap_or_default();
    let request = Request {
        method: parts.method.as_str().to_owned(),
        authority: parts.uri.authority().map(|a| a.as_str().to_owned()).unwrap_or_else(|| "localhost".to_owned()),
        path_with_query: parts.uri.path_and_query().map(|p| p.as_str().to_owned()).unwrap_or_else(|| "/".to_owned()),
        headers: parts.headers.iter().map(|(name, value)| (name.as_str().to_owned(), value.as_bytes().to_vec())).collect(),
        body: body.to_vec(),
    };
    let instance = exchange.instantiate_async(&mut *store).await.map_err(CallError::from_wasmtime)?;
    let answer = instance.shop_platform_http_exchange().call_handle(&mut *store, &request).await.map_err(CallError::from_wasmtime)?;
    if answer.body.len() > MAX_ANSWER_BYTES {
        return Err(CallError::Failed(format!("the answer is larger than {MAX_ANSWER_BYTES} bytes")));
    }
    let status = StatusCode::from_u16(answer.status).map_err(|_| CallError::Failed(format!("bad status code {}", answer.status)))?;
    let mut response = hyper::Response::new(Bytes::from(answer.body));
    *response.status_mut() = status;
    let headers = response.headers_mut();
    headers.reserve(answer.headers.len());
    for (name, value) in answer.headers {
        let name = HeaderName::from_bytes(name.as_bytes()).map_err(|e| CallError::Failed(format!("a response header name: {e}")))?;
        let value = HeaderValue::from_bytes(&value).map_err(|e| CallError::Failed(format!("response header {name}: {e}")))?;
        headers.append(name, value);
    }
    Ok(response)
}

/// Calls `wasi:http/incoming-handler#handle`. The instance runs in the caller's task, beside
/// the reading of its answer (one task polls both: no hand-off between threads for the
/// instance or for each chunk of its body).
async fn wasi_http(
    mut store: Store<HostState>,
    loaded: &Loaded,
    request: hyper::Request<Full<Bytes>>,
) -> Result<hyper::Response<Bytes>, CallError> {
    let proxy = loaded.proxy.clone().ok_or_else(|| CallError::Host(anyhow::anyhow!("the component does not serve HTTP")))?;
    let (sender, receiver) = tokio::sync::oneshot::channel();
    let incoming = store.data_mut().http_view().new_incoming_request(Scheme::Http, request).map_err(|e| CallError::Host(e.into()))?;
    let outparam = store.data_mut().http_view().new_response_outparam(sender).map_err(|e| CallError::Host(e.into()))?;
    let run = async move {
        let proxy = proxy.instantiate_async(&mut store).await?;
        proxy.wasi_http_incoming_handler().call_handle(&mut store, incoming, outparam).await
    };
    let answer = async move {
        let head =
            receiver.await.map_err(|_| None)?.map_err(|code| Some(format!("the component answered with an error code: {code:?}")))?;
        let (parts, body) = head.into_parts();
        let limited = http_body_util::Limited::new(body, MAX_ANSWER_BYTES);
        let bytes = http_body_util::BodyExt::collect(limited)
            .await
            .map_err(|e| Some(format!("the component's answer could not be read: {e}")))?
            .to_bytes();
        Ok::<_, Option<String>>(hyper::Response::from_parts(parts, bytes))
    };
    let (ran, answered) = tokio::join!(run, answer);
    match (answered, ran) {
        (Ok(response), Ok(())) => Ok(response),
        // A trap (the deadline, a panic) says more than the answer it cut short.
        (_, Err(error)) => Err(CallError::from_wasmtime(error)),
        (Err(Some(reason)), Ok(())) => Err(CallError::Failed(reason)),
        (Err(None), Ok(())) => Err(CallError::Failed("the component returned without a response".into())),
    }
}
