//! Rules: CEL expressions compiled once, run on each document.

use crate::cel::access::Reaches;
use crate::cel::budget;
use crate::cel::describe_error;
use crate::diag::{Finding, Locate, Severity};
use crate::parse::Document;
use crate::policy::{pointer_error, PolicyError, PolicyErrorKind, RuleSpec};
use cel::common::ast::{Expr, LiteralValue};
use cel::{Context, IdedExpr, Program, ResolveResult};

pub(super) struct CompiledRule {
    pub(super) name: String,
    expr: Cel,
    when: Option<Cel>,
    message: Option<String>,
    message_expr: Option<Cel>,
    path: String,
    pub(super) severity: Severity,
    pub(super) environments: Option<Vec<String>>,
    source: String,
    /// `description`, or else the static `message`.
    pub(super) description: Option<String>,
}

/// An expression as compiled, for what is known of it before it runs, and
/// as run: instrumented to count its cost.
struct Cel {
    program: Program,
    counted: IdedExpr,
}

impl Cel {
    fn new(program: Program) -> Cel {
        let counted = crate::cel::instrument(program.expression());
        Cel { program, counted }
    }

    fn execute(&self, ctx: &Context) -> ResolveResult {
        cel::Value::resolve(&self.counted, ctx)
    }
}

pub(super) fn reaches_of(rules: &[CompiledRule]) -> Reaches {
    let mut reaches = Reaches::default();
    for r in rules {
        for program in [Some(&r.expr), r.when.as_ref(), r.message_expr.as_ref()]
            .into_iter()
            .flatten()
        {
            reaches.add(program.program.expression());
        }
    }
    reaches
}

pub(super) fn compile_rule(
    file: &str,
    doc: &Document,
    base: &str,
    r: &RuleSpec,
) -> Result<CompiledRule, Vec<PolicyError>> {
    let mut errors = Vec::new();
    let mut one = |field: &str, text: &str, must_be_bool: bool| -> Option<Cel> {
        let pointer = format!("{base}/{field}");
        match compile_cel(text, must_be_bool) {
            Ok(p) => Some(Cel::new(p)),
            Err((msg, offset)) => {
                let mut pos = doc.map.locate(&pointer).unwrap_or_default();
                pos.column += offset;
                errors.push(
                    PolicyError::at(
                        PolicyErrorKind::Expression,
                        file,
                        pos,
                        format!("rule `{}` `{field}`: {msg}", r.name),
                    )
                    .with_rule(&r.name)
                    .with_hint("see docs/cel.md for the variables and functions rules can use"),
                );
                None
            }
        }
    };
    let expr = one("expr", &r.expr, true);
    let when = r.when.as_deref().map(|w| one("when", w, true));
    let message_expr = r
        .message_expr
        .as_deref()
        .map(|m| one("messageExpr", m, false));
    let path = r.path.clone().unwrap_or_default();
    let pos = doc.map.locate(&format!("{base}/path")).unwrap_or_default();
    let field = format!("rule `{}` `path`", r.name);
    errors.extend(pointer_error(file, pos, &field, &path).map(|e| e.with_rule(&r.name)));
    match (expr, when, message_expr) {
        (Some(expr), when @ (None | Some(Some(_))), message_expr @ (None | Some(Some(_))))
            if errors.is_empty() =>
        {
            Ok(CompiledRule {
                name: r.name.clone(),
                expr,
                when: when.flatten(),
                message: r.message.clone(),
                message_expr: message_expr.flatten(),
                path,
                severity: r.severity,
                environments: r.environments.clone(),
                source: r.expr.clone(),
                description: r.description.clone().or_else(|| r.message.clone()),
            })
        }
        _ => Err(errors),
    }
}

/// Compiles a CEL expression and rejects what can be known to be wrong before
/// running it: syntax, unknown variables and functions, non-bool results.
/// The error carries the column offset inside the expression.
fn compile_cel(text: &str, must_be_bool: bool) -> Result<Program, (String, u32)> {
    crate::cel::depth::check(text).map_err(|e| {
        let before = &text[..e.offset];
        // A column only when the spot is on the expression's first line.
        let column = if before.contains('\n') {
            0
        } else {
            before.chars().count() as u32
        };
        (
            format!("{}; split it into smaller rules", e.message),
            column,
        )
    })?;
    let env = crate::cel::env();
    let program = env.compile(text).map_err(|e| {
        let first = e.errors.first();
        let offset = first.map_or(0, |p| {
            if p.pos.0 <= 1 {
                p.pos.1.max(0) as u32
            } else {
                0
            }
        });
        let msg = first.map_or_else(|| e.to_string(), |p| p.msg.clone());
        (format!("CEL syntax error: {msg}"), offset)
    })?;
    if let Some(msg) = crate::cel::static_error(program.expression()) {
        return Err((msg, 0));
    }
    if must_be_bool && !may_be_bool(&program.expression().expr) {
        return Err(("expression does not yield a bool".to_owned(), 0));
    }
    Ok(program)
}

fn may_be_bool(expr: &Expr) -> bool {
    match expr {
        Expr::Literal(LiteralValue::Boolean(_)) => true,
        Expr::Literal(_) | Expr::List(_) | Expr::Map(_) | Expr::Struct(_) => false,
        Expr::Call(call) => !matches!(
            call.func_name.as_str(),
            "_+_"
                | "_-_"
                | "_*_"
                | "_/_"
                | "_%_"
                | "-_"
                | "size"
                | "string"
                | "int"
                | "double"
                | "uint"
        ),
        _ => true,
    }
}

impl CompiledRule {
    /// The expressions as run, counting their cost, by field: for the
    /// estimate of that cost (`super::cost`).
    pub(super) fn counted(&self) -> impl Iterator<Item = (&'static str, &IdedExpr)> {
        [
            ("expr", Some(&self.expr)),
            ("when", self.when.as_ref()),
            ("messageExpr", self.message_expr.as_ref()),
        ]
        .into_iter()
        .filter_map(|(field, cel)| Some((field, &cel?.counted)))
    }

    /// Runs the rule on one document: `expr`, `when` and `messageExpr` may
    /// spend `budget` CEL cost units together (see `crate::cel::budget`).
    pub(super) fn run(&self, ctx: &Context, map: &dyn Locate, budget: u64) -> Option<Finding> {
        budget::start(budget);
        let finding = self.run_counted(ctx, map);
        match budget::stopped() {
            // Reported even when `||`, `&&` or a macro absorbed the error.
            Some(stop) => Some(Finding::new(
                &self.name,
                Severity::Error,
                stop.message(&self.name),
                &self.path,
                map,
            )),
            None => finding,
        }
    }

    fn run_counted(&self, ctx: &Context, map: &dyn Locate) -> Option<Finding> {
        let fail = |message: String| {
            Some(Finding::new(
                &self.name,
                Severity::Error,
                message,
                &self.path,
                map,
            ))
        };
        if let Some(when) = &self.when {
            match when.execute(ctx) {
                Ok(cel::Value::Bool(true)) => {}
                Ok(cel::Value::Bool(false)) => return None,
                Ok(other) => {
                    return fail(format!(
                        "rule `{}` could not be evaluated: `when` yielded {} instead of a bool",
                        self.name,
                        crate::cel::display(&other)
                    ))
                }
                Err(e) => {
                    return fail(format!(
                        "rule `{}` could not be evaluated: `when`: {}",
                        self.name,
                        describe_error(&e)
                    ))
                }
            }
        }
        match self.expr.execute(ctx) {
            Ok(cel::Value::Bool(true)) => None,
            Ok(cel::Value::Bool(false)) => {
                let message = match &self.message_expr {
                    Some(p) => match p.execute(ctx) {
                        Ok(v) => crate::cel::display(&v),
                        Err(e) => format!(
                            "{} (messageExpr failed: {})",
                            self.message
                                .clone()
                                .unwrap_or_else(|| self.default_message()),
                            describe_error(&e)
                        ),
                    },
                    None => self
                        .message
                        .clone()
                        .unwrap_or_else(|| self.default_message()),
                };
                Some(Finding::new(
                    &self.name,
                    self.severity,
                    message,
                    &self.path,
                    map,
                ))
            }
            Ok(other) => fail(format!(
                "rule `{}` could not be evaluated: it yielded {} instead of a bool",
                self.name,
                crate::cel::display(&other)
            )),
            Err(e) => fail(format!(
                "rule `{}` could not be evaluated: {}",
                self.name,
                describe_error(&e)
            )),
        }
    }

    fn default_message(&self) -> String {
        format!("failed rule `{}`: `{}`", self.name, self.source)
    }
}

#[cfg(test)]
mod tests;
