//! The store's settable clock: the instants it stamps (creation and modification times,
//! key creation) come from a [`Clock`] that a test suite may set, freeze or let run, so
//! that the bodies it reads back are the same on every run.
//!
//! A backend reads the clock once when a call's work starts and makes that instant the
//! call's "now" (a thread-local for work on a blocking thread, a task-local for async
//! work), so every stamp of one transaction is the same instant.

use std::cell::Cell;
use std::sync::{Arc, RwLock};
use std::time::Instant;

use customer_model::Timestamp;

/// A clock shared by the store and the server. Cloning shares it. Real time until set.
#[derive(Debug, Clone, Default)]
pub struct Clock {
    setting: Arc<RwLock<Option<Setting>>>,
}

#[derive(Debug, Clone, Copy)]
struct Setting {
    at: Timestamp,
    /// `None` when frozen; else the real instant `at` was set, from which it runs.
    running_since: Option<Instant>,
}

/// What a [`Clock`] is set to, as the control API reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClockMode {
    /// Real time.
    Real,
    /// Stopped at an instant.
    Frozen,
    /// Running from a set instant at real speed.
    Running,
}

impl Clock {
    /// A clock on real time.
    pub fn new() -> Self {
        Self::default()
    }

    /// The clock's now.
    pub fn now(&self) -> Timestamp {
        let setting = *self
            .setting
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        match setting {
            None => Timestamp::now(),
            Some(Setting {
                at,
                running_since: None,
            }) => at,
            Some(Setting {
                at,
                running_since: Some(since),
            }) => {
                let elapsed = jiff::SignedDuration::try_from(since.elapsed())
                    .unwrap_or(jiff::SignedDuration::MAX);
                at.checked_add(elapsed).unwrap_or(at)
            }
        }
    }

    /// How the clock runs.
    pub fn mode(&self) -> ClockMode {
        match *self
            .setting
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
        {
            None => ClockMode::Real,
            Some(Setting {
                running_since: None,
                ..
            }) => ClockMode::Frozen,
            Some(_) => ClockMode::Running,
        }
    }

    /// Sets the clock to `at`, stopped there when `frozen`, else running on from it.
    pub fn set(&self, at: Timestamp, frozen: bool) {
        let setting = Setting {
            at,
            running_since: (!frozen).then(Instant::now),
        };
        *self
            .setting
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = Some(setting);
    }

    /// Back to real time.
    pub fn reset(&self) {
        *self
            .setting
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = None;
    }
}

thread_local! {
    static THREAD_NOW: Cell<Option<Timestamp>> = const { Cell::new(None) };
}

tokio::task_local! {
    static TASK_NOW: Timestamp;
}

/// Makes `at` this thread's now until dropped (for work on a blocking thread).
pub(crate) struct ThreadNow {
    previous: Option<Timestamp>,
}

impl ThreadNow {
    pub(crate) fn set(at: Timestamp) -> Self {
        Self {
            previous: THREAD_NOW.with(|now| now.replace(Some(at))),
        }
    }
}

impl Drop for ThreadNow {
    fn drop(&mut self) {
        THREAD_NOW.with(|now| now.set(self.previous));
    }
}

/// Runs `work` with `at` as its now (for async work).
#[cfg_attr(not(feature = "postgres"), allow(dead_code))]
pub(crate) async fn with_task_now<F: std::future::Future>(at: Timestamp, work: F) -> F::Output {
    TASK_NOW.scope(at, work).await
}

/// The current call's now: the instant its backend read from the store's clock, or real
/// time outside a call.
pub(crate) fn current() -> Timestamp {
    TASK_NOW
        .try_with(|at| *at)
        .ok()
        .or_else(|| THREAD_NOW.with(Cell::get))
        .unwrap_or_else(Timestamp::now)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_frozen_clock_stays_and_a_running_one_moves_on() {
        let clock = Clock::new();
        assert_eq!(clock.mode(), ClockMode::Real);
        let at: Timestamp = "2026-01-01T00:00:00Z".parse().unwrap();
        clock.set(at, true);
        std::thread::sleep(std::time::Duration::from_millis(5));
        assert_eq!(clock.now(), at);
        assert_eq!(clock.mode(), ClockMode::Frozen);
        clock.set(at, false);
        std::thread::sleep(std::time::Duration::from_millis(5));
        let later = clock.now();
        assert!(later > at && later < at + jiff::SignedDuration::from_secs(60));
        clock.reset();
        let real = Timestamp::now();
        assert!((clock.now() - real).get_seconds().abs() < 60);
        assert_eq!(clock.mode(), ClockMode::Real);
    }

    #[test]
    fn a_call_sees_the_instant_it_was_given() {
        let at: Timestamp = "2030-05-06T07:08:09Z".parse().unwrap();
        {
            let _now = ThreadNow::set(at);
            assert_eq!(current(), at);
        }
        assert_ne!(current(), at);
    }
}
