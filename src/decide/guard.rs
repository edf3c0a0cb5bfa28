//! Guards applied to a whole plan.

use super::plan::Plan;

/// Opens the deletion circuit: when the plan removes more torrents than `max`, every
/// deletion is kept in the plan (so the summary shows it) but marked skipped.
pub fn circuit_breaker(plan: &mut Plan, max: usize) {
    let planned = plan.deletions();
    if planned <= max {
        return;
    }
    plan.circuit_open = true;
    let why = format!("circuit open: {planned} deletions planned > max_deletions {max}");
    for action in plan.actions.iter_mut().filter(|a| a.kind.is_deletion()) {
        action.skip = Some(why.clone());
    }
}
