//! Cross-component calls: `catalog` imports `auth` and `media`, `orders` imports `auth` and
//! `payments`; the host satisfies those imports by calling the exports of the `auth`, `media`
//! and payment provider components, each call in a fresh instance of the callee with its own
//! limits.

use super::Runtime;
use super::serve::{CallError, new_store};
use super::slot::export_index;
use super::state::HostState;
use crate::bindings::shop::platform::{auth, media, payments};
use std::sync::Arc;
use wasmtime::component::{ComponentNamedList, Lift, Lower};

/// Which export of the callee to call.
enum Export<'a> {
    /// The one other components call on every request (resolved when the version loaded).
    Linked,
    /// Another, looked up by name (for rare calls such as operator actions).
    Named(&'a str, &'a str),
}

/// Calls an export of component `callee` in a fresh instance.
async fn call_export<P, R>(runtime: &Arc<Runtime>, callee: &str, export: Export<'_>, params: P) -> Result<R, CallError>
where
    P: ComponentNamedList + Lower + Send + Sync + 'static,
    R: ComponentNamedList + Lift + Send + Sync + 'static,
{
    let slot = runtime.slots.get(callee).cloned().ok_or_else(|| CallError::Host(anyhow::anyhow!("no {callee} component is loaded")))?;
    let loaded = slot.current();
    let index = match export {
        Export::Linked => loaded.linked_export,
        Export::Named(interface, function) => export_index(loaded.pre.component(), interface, function),
    }
    .ok_or_else(|| CallError::Host(anyhow::anyhow!("{callee} does not export the function called")))?;
    let mut store = new_store(runtime, slot.id.as_str().into());
    let instance = loaded.pre.instantiate_async(&mut store).await.map_err(CallError::from_wasmtime)?;
    let func = instance.get_typed_func::<P, R>(&mut store, index).map_err(|e| CallError::Host(e.into()))?;
    func.call_async(&mut store, params).await.map_err(CallError::from_wasmtime)
}

/// Creates (or confirms) an admin account through the auth component's `operator` export.
/// The outer error is the call's; the inner one the component's refusal, in words.
pub async fn create_admin(runtime: &Arc<Runtime>, email: &str, password: &str) -> Result<Result<String, String>, CallError> {
    let params = (email.to_owned(), password.to_owned());
    let (result,) =
        call_export::<_, (Result<String, String>,)>(runtime, "auth", Export::Named("shop:platform/operator@0.1.0", "create-admin"), params)
            .await?;
    Ok(result)
}

/// The interface of components' upkeep export.
pub const HOUSEKEEPING: &str = "shop:platform/housekeeping@0.1.0";

/// Runs one round of a component's `housekeeping.run`: `None` when it exports none.
pub async fn housekeeping(runtime: &Arc<Runtime>, component: &str) -> Result<Option<Result<String, String>>, CallError> {
    let Some(slot) = runtime.slots.get(component) else { return Ok(None) };
    if export_index(slot.current().pre.component(), HOUSEKEEPING, "run").is_none() {
        return Ok(None);
    }
    let (result,) = call_export::<(), (Result<String, String>,)>(runtime, component, Export::Named(HOUSEKEEPING, "run"), ()).await?;
    Ok(Some(result))
}

/// Checks an access token through the auth component's `auth.verify-token`, as a
/// component's import would (the benchmarks time this boundary).
pub async fn verify_token(runtime: &Arc<Runtime>, token: &str) -> Result<Result<auth::Principal, auth::AuthError>, CallError> {
    let (result,) =
        call_export::<(String,), (Result<auth::Principal, auth::AuthError>,)>(runtime, "auth", Export::Linked, (token.to_owned(),)).await?;
    Ok(result)
}

/// Processes an image through the media component's `process-image`, as the catalog's
/// import would (the media benchmark times this boundary).
pub async fn process_image(
    runtime: &Arc<Runtime>,
    bytes: Vec<u8>,
    options: media::Options,
) -> Result<Result<media::Processed, media::MediaError>, CallError> {
    let (result,) =
        call_export::<_, (Result<media::Processed, media::MediaError>,)>(runtime, "media", Export::Linked, (bytes, options)).await?;
    Ok(result)
}

impl HostState {
    /// Calls the linked export of component `callee` with `params`.
    async fn call_linked<P, R>(&mut self, callee: &str, params: P) -> Result<R, CallError>
    where
        P: ComponentNamedList + Lower + Send + Sync + 'static,
        R: ComponentNamedList + Lift + Send + Sync + 'static,
    {
        self.call_other(callee, Export::Linked, params).await
    }

    /// Calls an export of component `callee` with `params`, on the caller's behalf.
    async fn call_other<P, R>(&mut self, callee: &str, export: Export<'_>, params: P) -> Result<R, CallError>
    where
        P: ComponentNamedList + Lower + Send + Sync + 'static,
        R: ComponentNamedList + Lift + Send + Sync + 'static,
    {
        // What the callee read is not traced: an answer that needed another component is not kept.
        self.untraceable();
        let started = std::time::Instant::now();
        let result = call_export(&self.runtime, callee, export, params).await;
        // The callee ran under its own deadline; the caller's budget is for its own work.
        self.exclude(started.elapsed());
        result
    }
}

impl auth::Host for HostState {
    #[tracing::instrument(name = "auth.verify-token", target = "capability", level = "debug", skip_all, fields(component = %self.component))]
    async fn verify_token(&mut self, token: String) -> wasmtime::Result<Result<auth::Principal, auth::AuthError>> {
        match self.call_linked::<(String,), (Result<auth::Principal, auth::AuthError>,)>("auth", (token,)).await {
            Ok((result,)) => Ok(result),
            Err(error) => {
                tracing::error!(caller = %self.component, error = %error, "auth.verify-token failed");
                Ok(Err(auth::AuthError::Unavailable("token verification failed; try again".into())))
            }
        }
    }
}

impl media::Host for HostState {
    #[tracing::instrument(name = "media.process-image", target = "capability", level = "debug", skip_all, fields(component = %self.component, bytes = bytes.len()))]
    async fn process_image(
        &mut self,
        bytes: Vec<u8>,
        options: media::Options,
    ) -> wasmtime::Result<Result<media::Processed, media::MediaError>> {
        match self.call_linked::<(Vec<u8>, media::Options), (Result<media::Processed, media::MediaError>,)>("media", (bytes, options)).await
        {
            Ok((result,)) => Ok(result),
            // Running out of time says nothing about the image: the caller may try again.
            Err(CallError::Deadline) => Ok(Err(media::MediaError::TimedOut("the image could not be processed in time".into()))),
            Err(CallError::Failed(reason)) => {
                tracing::warn!(caller = %self.component, reason, "media.process-image trapped");
                Ok(Err(media::MediaError::Corrupt("the image could not be processed".into())))
            }
            Err(error) => Err(wasmtime::Error::msg(error.to_string())),
        }
    }
}

/// The interface of payment providers.
const PAYMENTS: &str = "shop:platform/payments@0.1.0";

/// The component that serves payment method `method`: `payments-<method>`, `_` written `-`.
pub fn payment_provider(method: &str) -> String {
    format!("payments-{}", method.replace('_', "-"))
}

impl HostState {
    /// Calls `function` of the provider of `method`, within the payment timeout. A method
    /// no loaded component serves is refused as not offered; a provider that traps, runs
    /// out of time or is too slow is `unavailable` (the outcome is unknown to the caller).
    /// Every call is counted by how it ended.
    async fn call_provider<P, T>(&mut self, method: &str, function: &str, params: P) -> Result<T, payments::PaymentError>
    where
        P: ComponentNamedList + Lower + Send + Sync + 'static,
        (Result<T, payments::PaymentError>,): ComponentNamedList + Lift + Send + Sync + 'static,
    {
        let provider = payment_provider(method);
        if !self.runtime.slots.contains_key(&provider) {
            return Err(payments::PaymentError::Invalid(payments::FieldError {
                field: "payment_method".into(),
                message: "is not offered by this shop".into(),
            }));
        }
        let timeout = self.runtime.settings.payment_timeout;
        let started = std::time::Instant::now();
        let call = self.call_other::<P, (Result<T, payments::PaymentError>,)>(&provider, Export::Named(PAYMENTS, function), params);
        let outcome = tokio::time::timeout(timeout, call).await;
        // The caller's budget is for its own work, also when the provider was cut off.
        if outcome.is_err() {
            self.exclude(started.elapsed());
        }
        let metrics = &self.runtime.metrics;
        match outcome {
            Ok(Ok((answer,))) => {
                let counted = match &answer {
                    Ok(_) => "ok",
                    Err(payments::PaymentError::Declined(_)) => "declined",
                    Err(payments::PaymentError::InsufficientFunds(_)) => "insufficient_funds",
                    Err(payments::PaymentError::Invalid(_)) => "invalid",
                    Err(payments::PaymentError::Unavailable(_)) => "unavailable",
                };
                metrics.payment_call(&provider, function, counted);
                answer
            }
            Ok(Err(error)) => {
                tracing::error!(caller = %self.component, provider, function, error = %error, "payment provider failed");
                metrics.payment_call(&provider, function, "failed");
                Err(payments::PaymentError::Unavailable("the payment provider failed".into()))
            }
            Err(_) => {
                tracing::warn!(caller = %self.component, provider, function, timeout_ms = timeout.as_millis() as u64, "payment provider too slow");
                metrics.payment_call(&provider, function, "timed_out");
                Err(payments::PaymentError::Unavailable("the payment provider did not answer in time".into()))
            }
        }
    }
}

impl payments::Host for HostState {
    #[tracing::instrument(name = "payments.authorise", target = "capability", level = "debug", skip_all, fields(component = %self.component, method))]
    async fn authorise(
        &mut self,
        method: String,
        charge: payments::Charge,
        details: Vec<(String, String)>,
    ) -> wasmtime::Result<Result<payments::Authorisation, payments::PaymentError>> {
        Ok(self.call_provider(&method, "authorise", (method.clone(), charge, details)).await)
    }

    #[tracing::instrument(name = "payments.capture", target = "capability", level = "debug", skip_all, fields(component = %self.component, method))]
    async fn capture(
        &mut self,
        method: String,
        reference: String,
        charge: payments::Charge,
    ) -> wasmtime::Result<Result<(), payments::PaymentError>> {
        Ok(self.call_provider(&method, "capture", (method.clone(), reference, charge)).await)
    }

    #[tracing::instrument(name = "payments.refund", target = "capability", level = "debug", skip_all, fields(component = %self.component, method))]
    async fn refund(
        &mut self,
        method: String,
        reference: String,
        charge: payments::Charge,
    ) -> wasmtime::Result<Result<(), payments::PaymentError>> {
        Ok(self.call_provider(&method, "refund", (method.clone(), reference, charge)).await)
    }

    #[tracing::instrument(name = "payments.void", target = "capability", level = "debug", skip_all, fields(component = %self.component, method))]
    async fn void(&mut self, method: String, reference: String) -> wasmtime::Result<Result<(), payments::PaymentError>> {
        Ok(self.call_provider(&method, "void", (method.clone(), reference)).await)
    }
}
