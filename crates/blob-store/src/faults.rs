//! Fault injection for tests: a store wrapper that fails, goes down or slows down on purpose.
//!
//! [`FaultyStore`] wraps any [`BlobStore`] and is itself used through a [`BlobStore`]
//! ([`FaultyStore::store`]), so code under test cannot tell it from a real one. It can:
//!
//! - fail the first `n` attempts of each operation with a retryable [`Error::Transient`].
//!   "Each operation" is one operation on one target: `put` of `bucket/key` fails `n` times and
//!   then succeeds, independently of `put` of another key (the model of neon's
//!   `UnreliableWrapper`), which is what a retry loop around one call needs;
//! - let failing puts land first (`put_lands_before_failing`): the object is stored, then the
//!   call fails, as when a response is lost after S3 committed the write; this exercises
//!   idempotent re-delivery;
//! - fail everything while switched down ([`FaultyStore::set_down`]);
//! - delay every call ([`FaultPlan::delay`], on tokio's clock, so paused-time tests stay fast).
//!
//! It is public, not `cfg(test)`, so that other crates' tests can use it. It is not a chaos
//! tool for production: attempt counts are kept per target forever.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;

use crate::{
    Backend, BlobStore, Error, InjectedFault, ListPage, ListRequest, Object, ObjectInfo,
    ObjectMeta, Operation, Result,
};

/// What a [`FaultyStore`] does to the calls it passes on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FaultPlan {
    /// How many attempts of each operation on each target fail before one is passed on.
    pub n_failing_attempts: u32,
    /// Which operations `n_failing_attempts` and `delay` apply to; the switch of
    /// [`FaultyStore::set_down`] applies to all.
    pub operations: Vec<Operation>,
    /// Failing puts store the object before failing.
    pub put_lands_before_failing: bool,
    /// Added before every call of an operation in `operations`.
    pub delay: Duration,
}

impl FaultPlan {
    /// No faults; only [`FaultyStore::set_down`] changes anything.
    pub fn none() -> FaultPlan {
        FaultPlan::fail_first(0)
    }

    /// Fails the first `n_failing_attempts` attempts of every operation on each target.
    pub fn fail_first(n_failing_attempts: u32) -> FaultPlan {
        FaultPlan {
            n_failing_attempts,
            operations: Operation::ALL.to_vec(),
            put_lands_before_failing: false,
            delay: Duration::ZERO,
        }
    }
}

/// A test handle on a fault-injecting store; see the module docs.
#[derive(Debug, Clone)]
pub struct FaultyStore {
    store: BlobStore,
    state: Arc<State>,
}

#[derive(Debug)]
struct State {
    plan: FaultPlan,
    down: AtomicBool,
    n_faults_injected: AtomicU64,
    n_attempts_by_target: Mutex<HashMap<(Operation, String), u32>>,
}

/// The backend half of a [`FaultyStore`], living inside its [`BlobStore`].
#[derive(Debug)]
pub(crate) struct Faulty {
    inner: BlobStore,
    state: Arc<State>,
}

impl FaultyStore {
    /// Wraps `inner`.
    pub fn new(inner: BlobStore, plan: FaultPlan) -> FaultyStore {
        let state = Arc::new(State {
            plan,
            down: AtomicBool::new(false),
            n_faults_injected: AtomicU64::new(0),
            n_attempts_by_target: Mutex::new(HashMap::new()),
        });
        let faulty = Faulty { inner, state: Arc::clone(&state) };
        FaultyStore { store: BlobStore::from_backend(Backend::Faulty(faulty)), state }
    }

    /// The store to hand to the code under test.
    pub fn store(&self) -> BlobStore {
        self.store.clone()
    }

    /// While down, every call fails with a retryable error without reaching the inner store.
    pub fn set_down(&self, down: bool) {
        self.state.down.store(down, Ordering::SeqCst);
    }

    /// Whether the store is switched down.
    pub fn is_down(&self) -> bool {
        self.state.down.load(Ordering::SeqCst)
    }

    /// How many calls have failed on purpose so far.
    pub fn n_faults_injected(&self) -> u64 {
        self.state.n_faults_injected.load(Ordering::SeqCst)
    }

    /// How many attempts of `operation` on `target` were made so far. `target` is the bucket
    /// for bucket operations, `bucket/key` for `put`, `get` and `head`, and
    /// `bucket/prefix?start_after` for `list`.
    pub fn n_attempts(&self, operation: Operation, target: &str) -> u32 {
        let attempts = self.state.lock_attempts();
        attempts.get(&(operation, target.to_owned())).copied().unwrap_or(0)
    }
}

impl State {
    fn lock_attempts(&self) -> std::sync::MutexGuard<'_, HashMap<(Operation, String), u32>> {
        self.n_attempts_by_target.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Counts an attempt and decides whether it fails. Returns the fault to inject, if any.
    async fn attempt(&self, operation: Operation, target: &str) -> Option<Error> {
        let planned = self.plan.operations.contains(&operation);
        if planned && !self.plan.delay.is_zero() {
            tokio::time::sleep(self.plan.delay).await;
        }
        let attempt = {
            let mut attempts = self.lock_attempts();
            let attempt = attempts.entry((operation, target.to_owned())).or_insert(0);
            *attempt = attempt.saturating_add(1);
            *attempt
        };
        let fault = if self.down.load(Ordering::SeqCst) {
            InjectedFault::Down
        } else if planned && attempt <= self.plan.n_failing_attempts {
            InjectedFault::FailingAttempt { attempt, n_failing: self.plan.n_failing_attempts }
        } else {
            return None;
        };
        self.n_faults_injected.fetch_add(1, Ordering::SeqCst);
        tracing::debug!(%operation, target, %fault, "injecting fault");
        Some(Error::Transient { operation, target: target.to_owned(), source: Box::new(fault) })
    }
}

impl Faulty {
    pub(crate) fn inner(&self) -> &BlobStore {
        &self.inner
    }

    pub(crate) async fn bucket_exists(&self, bucket: &str) -> Result<bool> {
        if let Some(fault) = self.state.attempt(Operation::BucketExists, bucket).await {
            return Err(fault);
        }
        Box::pin(self.inner.bucket_exists(bucket)).await
    }

    pub(crate) async fn create_bucket(&self, bucket: &str) -> Result<()> {
        if let Some(fault) = self.state.attempt(Operation::CreateBucket, bucket).await {
            return Err(fault);
        }
        Box::pin(self.inner.create_bucket(bucket)).await
    }

    pub(crate) async fn put(
        &self,
        bucket: &str,
        key: &str,
        body: Bytes,
        meta: &ObjectMeta,
    ) -> Result<()> {
        let target = format!("{bucket}/{key}");
        if let Some(fault) = self.state.attempt(Operation::Put, &target).await {
            let lands =
                self.state.plan.put_lands_before_failing && !self.state.down.load(Ordering::SeqCst);
            if lands {
                Box::pin(self.inner.put(bucket, key, body, meta)).await?;
            }
            return Err(fault);
        }
        Box::pin(self.inner.put(bucket, key, body, meta)).await
    }

    pub(crate) async fn check_writable(&self, bucket: &str, key: &str) -> Result<()> {
        if let Some(fault) = self.state.attempt(Operation::Put, &format!("{bucket}/{key}")).await {
            return Err(fault);
        }
        Box::pin(self.inner.check_writable(bucket, key)).await
    }

    pub(crate) async fn get(&self, bucket: &str, key: &str) -> Result<Object> {
        if let Some(fault) = self.state.attempt(Operation::Get, &format!("{bucket}/{key}")).await {
            return Err(fault);
        }
        Box::pin(self.inner.get(bucket, key)).await
    }

    pub(crate) async fn head(&self, bucket: &str, key: &str) -> Result<ObjectInfo> {
        if let Some(fault) = self.state.attempt(Operation::Head, &format!("{bucket}/{key}")).await {
            return Err(fault);
        }
        Box::pin(self.inner.head(bucket, key)).await
    }

    pub(crate) async fn list(&self, bucket: &str, request: ListRequest<'_>) -> Result<ListPage> {
        let ListRequest { prefix, start_after, max_keys } = request;
        let target = format!("{bucket}/{prefix}?{}", start_after.unwrap_or_default());
        if let Some(fault) = self.state.attempt(Operation::List, &target).await {
            return Err(fault);
        }
        Box::pin(self.inner.list(bucket, prefix, start_after, max_keys)).await
    }
}
