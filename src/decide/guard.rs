//! Guards applied to a whole plan.

use super::plan::{Plan, SkipReason};

/// Opens the deletion circuit: when the plan removes more torrents than `max`, every
/// deletion is kept in the plan (so the summary shows it) but marked skipped.
pub fn circuit_breaker(plan: &mut Plan, max: usize) {
    // Deletions already held back for another reason are not going to be sent.
    let sent = |a: &super::Action| a.removes_from_client() && a.skip.is_none();
    let planned = plan.actions.iter().filter(|a| sent(a)).count();
    if planned <= max {
        return;
    }
    plan.circuit_open = true;
    for action in plan.actions.iter_mut().filter(|a| sent(a)) {
        action.skip = Some(SkipReason::CircuitOpen { planned, max });
    }
}
