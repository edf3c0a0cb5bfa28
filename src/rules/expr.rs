//! Compiling and evaluating a rule's `when` expression.
//!
//! Compiling checks more than the syntax: every name must be a field (or a variable of an
//! `all` / `exists` / `map` / `filter` macro), and the expression is evaluated once against
//! a sample torrent, so a type error (`ratio > "2"`), an unknown function or a result that
//! is not true / false is reported at config load, naming the rule.

use std::collections::BTreeSet;
use std::fmt;
use std::sync::{Arc, OnceLock};

use cel::common::ast::{EntryExpr, Expr, IdedExpr};
use cel::common::types::{CelDouble, CelInt, DOUBLE_TYPE, INT_TYPE};
use cel::common::value::CowVal;
use cel::{Context, Env, ExecutionError, Program, Value};

use super::fields::{FIELDS, TorrentView, is_field, sample_details, sample_torrent};

/// Identifiers that are not fields but may appear: CEL type names, function namespaces.
const BUILTIN_NAMES: &[&str] = &[
    "int",
    "uint",
    "double",
    "bool",
    "string",
    "bytes",
    "list",
    "map",
    "null_type",
    "type",
    "strings",
    "optional",
];

/// Which fields that cost extra requests an expression reads.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Uses {
    /// `files`: one `torrents/files` request per torrent.
    pub files: bool,
    /// `tracker_message`: one `torrents/trackers` request per torrent without a working tracker.
    pub tracker_message: bool,
    /// `private`: on 4.x, one `torrents/properties` request per torrent.
    pub private: bool,
}

/// A compiled `when` expression.
#[derive(Clone)]
pub struct Condition {
    source: String,
    program: Arc<Program>,
    uses: Uses,
}

impl fmt::Debug for Condition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Condition").field(&self.source).finish()
    }
}

/// The CEL environment every rule runs in: the standard library, the strings extension
/// (`lowerAscii`, `split`, `join`, ...) and the unit functions.
pub fn env() -> Arc<Env> {
    static ENV: OnceLock<Arc<Env>> = OnceLock::new();
    ENV.get_or_init(|| {
        let mut env = Env::stdlib();
        env.add_extension(cel::extensions::strings)
            .expect("strings extension");
        add_unit(&mut env, "minutes", scale_int::<60>, scale_double::<60>);
        add_unit(&mut env, "hours", scale_int::<3_600>, scale_double::<3_600>);
        add_unit(
            &mut env,
            "days",
            scale_int::<86_400>,
            scale_double::<86_400>,
        );
        add_unit(
            &mut env,
            "mib",
            scale_int::<{ 1 << 20 }>,
            scale_double::<{ 1 << 20 }>,
        );
        add_unit(
            &mut env,
            "gib",
            scale_int::<{ 1 << 30 }>,
            scale_double::<{ 1 << 30 }>,
        );
        add_unit(
            &mut env,
            "tib",
            scale_int::<{ 1 << 40 }>,
            scale_double::<{ 1 << 40 }>,
        );
        Arc::new(env)
    })
    .clone()
}

fn add_unit(
    env: &mut Env,
    name: &str,
    int: cel::common::functions::Function,
    double: cel::common::functions::Function,
) {
    env.add_overload(name, &format!("{name}_int"), vec![INT_TYPE], int)
        .expect("unit function");
    env.add_overload(name, &format!("{name}_double"), vec![DOUBLE_TYPE], double)
        .expect("unit function");
}

fn scale_int<'b, 'v, const K: i64>(
    args: Vec<CowVal<'b, 'v>>,
) -> Result<CowVal<'b, 'v>, ExecutionError> {
    let n = args
        .first()
        .and_then(|a| a.downcast_ref::<CelInt>())
        .ok_or_else(|| ExecutionError::function_error("unit", "expected an int"))?;
    n.inner()
        .checked_mul(K)
        .map(|v| CowVal::owned(CelInt::from(v)))
        .ok_or_else(|| ExecutionError::function_error("unit", "overflow"))
}

fn scale_double<'b, 'v, const K: i64>(
    args: Vec<CowVal<'b, 'v>>,
) -> Result<CowVal<'b, 'v>, ExecutionError> {
    let n = args
        .first()
        .and_then(|a| a.downcast_ref::<CelDouble>())
        .ok_or_else(|| ExecutionError::function_error("unit", "expected a double"))?;
    let v = n.inner() * K as f64;
    if !v.is_finite() || v.abs() >= i64::MAX as f64 {
        return Err(ExecutionError::function_error("unit", "overflow"));
    }
    Ok(CowVal::owned(CelInt::from(v as i64)))
}

impl Condition {
    /// Parses and checks `source`; the error says what is wrong, in the user's terms.
    pub fn compile(source: &str) -> Result<Condition, String> {
        if source.trim().is_empty() {
            return Err("expected a CEL expression, e.g. ratio > 2.0".into());
        }
        let program = env().compile(source).map_err(|e| e.to_string())?;
        let mut names = BTreeSet::new();
        free_names(program.expression(), &mut Vec::new(), &mut names);
        if let Some(unknown) = names
            .iter()
            .find(|n| !is_field(n) && !BUILTIN_NAMES.contains(n))
        {
            let known: Vec<&str> = FIELDS.iter().map(|(f, _)| *f).collect();
            return Err(format!(
                "unknown field `{unknown}`; the fields are {}",
                known.join(", ")
            ));
        }
        let uses = Uses {
            files: names.contains("files"),
            tracker_message: names.contains("tracker_message"),
            private: names.contains("private"),
        };
        let condition = Condition {
            source: source.to_string(),
            program: Arc::new(program),
            uses,
        };
        condition.check_on_sample()?;
        Ok(condition)
    }

    /// The expression as written.
    pub fn source(&self) -> &str {
        &self.source
    }

    /// The costly fields it reads.
    pub fn uses(&self) -> Uses {
        self.uses
    }

    /// Evaluates the expression in `ctx` (a torrent's [`TorrentView::context`]): `Ok(true)`
    /// when it holds; `Err` with the CEL error when evaluation fails or does not give
    /// true / false.
    pub fn matches(&self, ctx: &Context<'_, '_>) -> Result<bool, String> {
        match self.program.execute(ctx) {
            Ok(Value::Bool(b)) => Ok(b),
            Ok(other) => Err(not_bool(&other)),
            Err(e) => Err(e.to_string()),
        }
    }

    /// Evaluates once against the sample torrent: a type error, an unknown function or a
    /// result other than true / false fails; errors that depend on data (an index out of
    /// range, a division by zero, ...) do not.
    fn check_on_sample(&self) -> Result<(), String> {
        let t = sample_torrent();
        let (files, trackers) = sample_details();
        let view = TorrentView {
            instance: "sample",
            torrent: &t,
            arr: Some("sample"),
            imported: true,
            trackers: Some(&trackers),
            files: Some(&files),
            now: 2_000_000,
        };
        match self.program.execute(&view.context(env())) {
            Ok(Value::Bool(_)) => Ok(()),
            Ok(other) => Err(not_bool(&other)),
            Err(ExecutionError::UndeclaredReference(name)) => Err(format!(
                "unknown function `{name}` (durations are int seconds: use minutes(n), \
                 hours(n), days(n))"
            )),
            Err(
                e @ (ExecutionError::NoSuchOverload(_)
                | ExecutionError::ValuesNotComparable(..)
                | ExecutionError::UnexpectedType { .. }
                | ExecutionError::UnsupportedBinaryOperator(..)
                | ExecutionError::InvalidArgumentCount { .. }
                | ExecutionError::NotSupportedAsMethod { .. }
                | ExecutionError::UnsupportedTargetType { .. }),
            ) => Err(format!("type error: {e}")),
            Err(_) => Ok(()),
        }
    }
}

fn not_bool(v: &Value) -> String {
    let kind = match v {
        Value::List(_) => "a list",
        Value::Map(_) => "a map",
        Value::Int(_) => "an int",
        Value::UInt(_) => "a uint",
        Value::Float(_) => "a double",
        Value::String(_) => "a string",
        Value::Bytes(_) => "bytes",
        Value::Null => "null",
        _ => "a value that is not true or false",
    };
    format!("the expression must give true or false, it gives {kind}")
}

/// Names read by `e` that no enclosing macro binds.
fn free_names<'a>(e: &'a IdedExpr, bound: &mut Vec<&'a str>, out: &mut BTreeSet<&'a str>) {
    match &e.expr {
        Expr::Ident(name) => {
            if !name.starts_with('@') && !bound.contains(&name.as_str()) {
                out.insert(name);
            }
        }
        Expr::Call(call) => {
            if let Some(target) = &call.target {
                free_names(target, bound, out);
            }
            for arg in &call.args {
                free_names(arg, bound, out);
            }
        }
        Expr::Comprehension(c) => {
            free_names(&c.iter_range, bound, out);
            free_names(&c.accu_init, bound, out);
            let depth = bound.len();
            bound.push(&c.iter_var);
            if let Some(v) = &c.iter_var2 {
                bound.push(v);
            }
            bound.push(&c.accu_var);
            free_names(&c.loop_cond, bound, out);
            free_names(&c.loop_step, bound, out);
            free_names(&c.result, bound, out);
            bound.truncate(depth);
        }
        Expr::List(list) => {
            for el in &list.elements {
                free_names(el, bound, out);
            }
        }
        Expr::Map(map) => {
            for entry in &map.entries {
                entry_names(&entry.expr, bound, out);
            }
        }
        Expr::Struct(s) => {
            for entry in &s.entries {
                entry_names(&entry.expr, bound, out);
            }
        }
        Expr::Select(select) => free_names(&select.operand, bound, out),
        Expr::Literal(_) | Expr::Unspecified => {}
    }
}

fn entry_names<'a>(e: &'a EntryExpr, bound: &mut Vec<&'a str>, out: &mut BTreeSet<&'a str>) {
    match e {
        EntryExpr::StructField(f) => free_names(&f.value, bound, out),
        EntryExpr::MapEntry(m) => {
            free_names(&m.key, bound, out);
            free_names(&m.value, bound, out);
        }
    }
}
