//! A bound on the work and memory of one rule's evaluation on one document,
//! the same in every host: natively nothing else stops a quadratic
//! comprehension or a chain of calls that doubles a string.
//!
//! `instrument` rewrites a compiled expression to call the private functions
//! registered here (their names hold `@`, which CEL source cannot write).
//! Each adds a cost to a per-thread counter and fails once the budget is
//! spent; a value built bigger than `MAX_VALUE_BYTES` fails at once. The
//! caller starts the budget before a rule runs (`start`) and asks afterwards
//! whether it stopped the rule (`stopped`): a stop is reported even when
//! `||`, `&&` or a macro absorbed the error it raised.
//!
//! Costs, in units (docs/limits.md):
//! - a comprehension (`all`, `exists`, `exists_one`, `map`, `filter`, ...):
//!   1, plus for each element of the list or map it ranges over the number of
//!   nodes of its loop (a comprehension inside counting one: it charges for
//!   itself), charged when it starts, even if it stops early. Like the cost
//!   Kubernetes counts, roughly one unit per node evaluated;
//! - a call that builds a value (`+`, `replace`, `join`, `split`, `format`,
//!   a list or map literal, ...): 1, plus 1 per `BYTES_PER_UNIT` bytes of its
//!   result, counted deeply (`ELEMENT_BYTES` per list element or map entry);
//! - a call that reads a value (`contains`, `matches`, `in`, `indexOf`, ...):
//!   1, plus 1 per `BYTES_PER_UNIT` bytes of the string it scans, or 1 per
//!   element of the list; `distinct()` 1 per pair of elements.

use cel::common::types::{
    CelBytes, CelInt, CelList, CelMap, CelMapKey, CelOptional, CelString, DYN_TYPE, INT_TYPE,
};
use cel::common::value::{CowVal, Val};
use cel::{DeclarationError, Env, ExecutionError};
use std::cell::Cell;

/// The cost one rule may spend on one document, unless configured otherwise:
/// Kubernetes' runtime budget for a ValidatingAdmissionPolicy (10^7), in
/// units of about one node evaluated, as its are. About a second of CEL work
/// in a release build.
pub const DEFAULT_BUDGET: u64 = 10_000_000;
/// The largest string, list or map a call may build, in bytes as counted for
/// costs: a 16 MiB string, or a list of half a million numbers.
pub const MAX_VALUE_BYTES: u64 = 16 << 20;
/// Bytes of a built or scanned string that cost one unit.
pub const BYTES_PER_UNIT: u64 = 16;
/// What one list element or map entry counts for, beside its contents.
pub(super) const ELEMENT_BYTES: u64 = 32;

/// Wraps a comprehension's range: charges its size.
pub(super) const RANGE: &str = "@assay_range";
/// `RANGE` for a one-variable comprehension: a map's keys are visited in
/// order, as a list, since the interpreter visits a map in its `HashMap`'s
/// order, which differs from one process (and host) to the next.
pub(super) const KEYS_RANGE: &str = "@assay_keys_range";
/// Wraps the result of a call that builds a value: charges its size, caps it.
pub(super) const BUILT: &str = "@assay_built";
/// Wraps the operand a call scans: charges its length.
pub(super) const READ: &str = "@assay_read";
/// Wraps the target of `distinct()`, which compares every pair.
pub(super) const PAIRS: &str = "@assay_pairs";

/// Why the budget stopped a rule.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stop {
    /// The rule spent more than this budget.
    Budget(u64),
    /// A call built a value of more than `MAX_VALUE_BYTES`.
    Size,
}

impl Stop {
    /// The finding's message for rule `rule`.
    pub fn message(self, rule: &str) -> String {
        match self {
            Stop::Budget(budget) => format!(
                "rule `{rule}` could not be evaluated: it stopped after exceeding its CEL cost \
                 budget of {budget} (limit `cel-cost`, the CEL work per rule and document; \
                 raise it with `--limit cel-cost=…` or the API's `limits`, see \
                 docs/limits.md); simplify the expression, e.g. avoid comprehensions nested \
                 over long lists"
            ),
            Stop::Size => format!(
                "rule `{rule}` could not be evaluated: it built a CEL value of more than {} MiB \
                 (the limit on one string, list or map, see docs/limits.md); simplify the \
                 expression",
                MAX_VALUE_BYTES >> 20
            ),
        }
    }
}

thread_local! {
    static LIMIT: Cell<u64> = const { Cell::new(u64::MAX) };
    static REMAINING: Cell<u64> = const { Cell::new(u64::MAX) };
    static STOPPED: Cell<Option<Stop>> = const { Cell::new(None) };
}

/// Starts a budget of `budget` units for one evaluation on this thread.
pub fn start(budget: u64) {
    LIMIT.with(|l| l.set(budget));
    REMAINING.with(|r| r.set(budget));
    STOPPED.with(|s| s.set(None));
}

/// Whether the evaluation since `start` was stopped, and why.
pub fn stopped() -> Option<Stop> {
    STOPPED.with(Cell::get)
}

/// The units spent since `start`.
#[cfg(test)]
pub fn spent() -> u64 {
    LIMIT.with(Cell::get) - remaining()
}

/// The units left since `start`.
#[cfg(test)]
pub fn remaining() -> u64 {
    REMAINING.with(Cell::get)
}

/// Stops the evaluation: every later charge fails too (each costs at least
/// 1), and the first reason is the one reported.
fn stop(why: Stop) -> ExecutionError {
    REMAINING.with(|r| r.set(0));
    let first = STOPPED.with(|s| {
        let first = s.get().unwrap_or(why);
        s.set(Some(first));
        first
    });
    let reason = match first {
        Stop::Budget(budget) => format!("exceeded the CEL cost budget of {budget}"),
        Stop::Size => format!("built a value of more than {} MiB", MAX_VALUE_BYTES >> 20),
    };
    ExecutionError::function_error("cost", reason)
}

#[inline]
fn charge(cost: u64) -> Result<(), ExecutionError> {
    let left = REMAINING.with(Cell::get);
    if cost <= left {
        REMAINING.with(|r| r.set(left - cost));
        Ok(())
    } else {
        Err(stop(Stop::Budget(LIMIT.with(Cell::get))))
    }
}

pub(super) fn register(env: &mut Env) -> Result<(), DeclarationError> {
    env.add_overload(RANGE, RANGE, vec![DYN_TYPE, INT_TYPE], range)?;
    env.add_overload(KEYS_RANGE, KEYS_RANGE, vec![DYN_TYPE, INT_TYPE], keys_range)?;
    env.add_overload(BUILT, BUILT, vec![DYN_TYPE], built)?;
    env.add_overload(READ, READ, vec![DYN_TYPE], read)?;
    env.add_overload(PAIRS, PAIRS, vec![DYN_TYPE], pairs)
}

type Out<'b, 'v> = Result<CowVal<'b, 'v>, ExecutionError>;

fn only<'b, 'v>(mut args: Vec<CowVal<'b, 'v>>) -> Out<'b, 'v> {
    args.pop()
        .ok_or_else(|| ExecutionError::function_error("cost", "no argument"))
}

fn length(v: &dyn Val) -> u64 {
    v.as_sizer()
        .map_or(0, |s| u64::try_from(*s.size().inner()).unwrap_or(0))
}

/// `@assay_range(range, weight)`: the weight is what one iteration costs,
/// the size of the loop's body.
fn range<'b, 'v>(mut args: Vec<CowVal<'b, 'v>>) -> Out<'b, 'v> {
    let weight = args
        .pop()
        .and_then(|w| w.downcast_ref::<CelInt>().map(|w| *w.inner()))
        .and_then(|w| u64::try_from(w).ok())
        .unwrap_or(1);
    let v = only(args)?;
    charge(1 + length(v.as_ref()).saturating_mul(weight))?;
    Ok(v)
}

/// `@assay_keys_range(range, weight)`: `range`, charged as `RANGE` is, with
/// a map replaced by the list of its keys in order (strings by their bytes;
/// CEL's key types each in their own order).
fn keys_range<'b, 'v>(args: Vec<CowVal<'b, 'v>>) -> Out<'b, 'v> {
    let v = range(args)?;
    let Some(map) = v.downcast_ref::<CelMap>() else {
        return Ok(v);
    };
    let mut keys: Vec<&CelMapKey> = map.inner().keys().collect();
    keys.sort_unstable();
    let keys: Vec<Box<dyn Val + 'v>> = keys.iter().map(|k| k.inner().clone_as_boxed()).collect();
    Ok(CowVal::Owned(Box::new(CelList::from(keys))))
}

fn built<'b, 'v>(args: Vec<CowVal<'b, 'v>>) -> Out<'b, 'v> {
    let v = only(args)?;
    let size = size_of(v.as_ref(), MAX_VALUE_BYTES);
    if size > MAX_VALUE_BYTES {
        return Err(stop(Stop::Size));
    }
    charge(1 + size / BYTES_PER_UNIT)?;
    Ok(v)
}

fn read<'b, 'v>(args: Vec<CowVal<'b, 'v>>) -> Out<'b, 'v> {
    let v = only(args)?;
    let cost = if let Some(s) = v.downcast_ref::<CelString>() {
        s.inner().len() as u64 / BYTES_PER_UNIT
    } else if let Some(b) = v.downcast_ref::<CelBytes>() {
        b.inner().len() as u64 / BYTES_PER_UNIT
    } else if v.downcast_ref::<CelList>().is_some() {
        length(v.as_ref())
    } else {
        0
    };
    charge(1 + cost)?;
    Ok(v)
}

fn pairs<'b, 'v>(args: Vec<CowVal<'b, 'v>>) -> Out<'b, 'v> {
    let v = only(args)?;
    let n = length(v.as_ref());
    charge(1 + n.saturating_mul(n) / 2)?;
    Ok(v)
}

/// The size of `v` as costs count it, counted until it passes `limit`.
pub(super) fn size_of(v: &dyn Val, limit: u64) -> u64 {
    let mut total = 0u64;
    let mut stack: Vec<&dyn Val> = vec![v];
    while let Some(v) = stack.pop() {
        total = total.saturating_add(if let Some(s) = v.downcast_ref::<CelString>() {
            s.inner().len() as u64
        } else if let Some(b) = v.downcast_ref::<CelBytes>() {
            b.inner().len() as u64
        } else if let Some(l) = v.downcast_ref::<CelList>() {
            stack.extend(l.inner().iter().map(|e| &**e));
            ELEMENT_BYTES * l.inner().len() as u64
        } else if let Some(m) = v.downcast_ref::<CelMap>() {
            let mut keys = 0u64;
            for (k, v) in m.inner() {
                if let CelMapKey::String(s) = k {
                    keys += s.inner().len() as u64;
                }
                stack.push(&**v);
            }
            keys + 2 * ELEMENT_BYTES * m.inner().len() as u64
        } else if let Some(o) = v.downcast_ref::<CelOptional>() {
            stack.extend(o.inner());
            ELEMENT_BYTES
        } else {
            ELEMENT_BYTES
        });
        if total > limit {
            break;
        }
    }
    total
}

#[cfg(test)]
mod tests;
