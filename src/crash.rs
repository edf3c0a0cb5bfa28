//! Test-only crash points: stop the process at a named step of a pass, as `kill -9` would.
//!
//! The crash-consistency tests (`tests/crash_e2e.rs`) run the real binary with
//! `SWEEPARR_CRASH_AT=<point>` and check that the next pass repeats no destructive action,
//! keeps every stall clock and takes the abandoned lease.
//!
//! Gate: the points exist only in a build with the cargo feature `crash-points`
//! (`make test` enables it). Without it, [`at`] is an empty inline function and the variable
//! is never read, so a release build cannot be stopped by it, by accident or on purpose.
//! With it, the process sends itself `SIGKILL` (Unix): no destructor runs, no buffer is
//! flushed, no lease is released, exactly as when an operator or the OOM killer kills it.

/// Env variable naming the point to die at (only read with the `crash-points` feature).
pub const CRASH_AT_VAR: &str = "SWEEPARR_CRASH_AT";

/// A step of a pass where a test may kill the process.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Point {
    /// The lease is taken; nothing loaded or scanned yet.
    AfterLease,
    /// Scanned and decided; nothing saved or sent.
    AfterScan,
    /// Observations and intents saved; nothing sent.
    AfterIntent,
    /// The first action was sent; the others were not.
    MidAct,
    /// Every action sent; outcomes not saved. Also marks the start of the final save.
    BeforeSave,
    /// Inside the final save: the file store dies in its write transaction before the
    /// commit; the DynamoDB store writes one record per request and dies after half of them.
    WhileSaving,
}

impl Point {
    /// Every point, in pass order.
    pub const ALL: [Point; 6] = [
        Point::AfterLease,
        Point::AfterScan,
        Point::AfterIntent,
        Point::MidAct,
        Point::BeforeSave,
        Point::WhileSaving,
    ];

    /// The value of [`CRASH_AT_VAR`] naming this point.
    pub fn as_str(self) -> &'static str {
        match self {
            Point::AfterLease => "after_lease",
            Point::AfterScan => "after_scan",
            Point::AfterIntent => "after_intent",
            Point::MidAct => "mid_act",
            Point::BeforeSave => "before_save",
            Point::WhileSaving => "while_saving",
        }
    }
}

/// Dies here when the `crash-points` feature is on and [`CRASH_AT_VAR`] names `point`.
/// [`Point::MidAct`] fires at its first call only; [`Point::WhileSaving`] only after
/// [`Point::BeforeSave`] was passed (so only in the final save).
#[cfg(feature = "crash-points")]
pub fn at(point: Point) {
    armed::at(point)
}

/// Dies here when the `crash-points` feature is on (it is off in this build: does nothing).
#[cfg(not(feature = "crash-points"))]
#[inline(always)]
pub fn at(_point: Point) {}

/// True when the final save should be split into one record per write (DynamoDB), so that
/// [`Point::WhileSaving`] leaves it half done. Always false without the feature.
#[cfg(feature = "crash-points")]
pub fn split_final_save() -> bool {
    armed::wanted(Point::WhileSaving) && armed::saving()
}

/// Always false: the `crash-points` feature is off in this build.
#[cfg(not(feature = "crash-points"))]
#[inline(always)]
pub fn split_final_save() -> bool {
    false
}

#[cfg(feature = "crash-points")]
mod armed {
    use std::sync::atomic::{AtomicBool, Ordering};

    use super::{CRASH_AT_VAR, Point};

    /// Set once [`Point::BeforeSave`] is passed.
    static SAVING: AtomicBool = AtomicBool::new(false);
    /// Set once [`Point::MidAct`] was reached.
    static ACTED: AtomicBool = AtomicBool::new(false);

    pub(super) fn wanted(point: Point) -> bool {
        std::env::var(CRASH_AT_VAR).is_ok_and(|v| v == point.as_str())
    }

    pub(super) fn saving() -> bool {
        SAVING.load(Ordering::SeqCst)
    }

    pub(super) fn at(point: Point) {
        let fire = match point {
            Point::MidAct => !ACTED.swap(true, Ordering::SeqCst),
            Point::WhileSaving => saving(),
            Point::BeforeSave => {
                SAVING.store(true, Ordering::SeqCst);
                true
            }
            _ => true,
        };
        if fire && wanted(point) {
            die(point);
        }
    }

    fn die(point: Point) -> ! {
        eprintln!(
            "sweeparr: crash point {}: killing this process",
            point.as_str()
        );
        #[cfg(unix)]
        // SAFETY: kill(2) on our own pid with a constant signal has no memory effects.
        #[allow(unsafe_code)]
        unsafe {
            libc::kill(libc::getpid(), libc::SIGKILL);
        }
        // Not reached on Unix (SIGKILL cannot be caught); elsewhere the nearest thing.
        std::process::abort()
    }
}
