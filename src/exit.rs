//! The process exit codes (README, "Exit codes"): the one place that knows them.

use sweeparr::summary::RunStatus;

/// How a command or a Lambda runtime ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExitCode {
    /// Pass completed (or skipped: lease held); command done.
    Ok = 0,
    /// Completed, but something was unreachable or failed (or too many deletions planned).
    Partial = 1,
    /// Usage or config error: nothing contacted or changed.
    Usage = 2,
    /// State store unusable: nothing acted.
    Store = 3,
}

impl From<RunStatus> for ExitCode {
    fn from(status: RunStatus) -> Self {
        match status {
            RunStatus::Ok | RunStatus::Skipped => ExitCode::Ok,
            RunStatus::Partial | RunStatus::CircuitOpen => ExitCode::Partial,
            RunStatus::Error => ExitCode::Store,
        }
    }
}

impl From<ExitCode> for std::process::ExitCode {
    fn from(code: ExitCode) -> Self {
        std::process::ExitCode::from(code as u8)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_run_status_has_the_exit_code_of_the_readme() {
        for (status, code) in [
            (RunStatus::Ok, 0),
            (RunStatus::Skipped, 0),
            (RunStatus::Partial, 1),
            (RunStatus::CircuitOpen, 1),
            (RunStatus::Error, 3),
        ] {
            assert_eq!(ExitCode::from(status) as u8, code, "{status:?}");
        }
    }
}
