//! CEL rules: comparisons, `has()`, `size()`, the macros (`all`, `exists`,
//! `exists_one`, `map`, `filter`) over lists and maps, string functions,
//! `quantity()`, optionals, `base64`, URLs, timestamps, the list
//! extensions, `oldObject`, `params`, `env` and `embedded`, combined with
//! `!`, `&&`, `||` and `?:`; messages (`messageExpr`) of every type; and
//! expressions that do not compile.

use super::documents::{DATA_KEYS, LEVELS, NAMES};
use super::schema::{BAD_PATTERNS, PATTERNS};
use proptest::prelude::*;
use proptest::sample::select;

/// `s` as a CEL string literal (single-quoted, escaped).
pub fn lit(s: &str) -> String {
    let mut out = String::from("'");
    for c in s.chars() {
        match c {
            '\'' => out.push_str("\\'"),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 || c == '\u{7f}' => {
                out.push_str(&format!("\\x{:02x}", c as u32))
            }
            c => out.push(c),
        }
    }
    out.push('\'');
    out
}

/// A string constant, as a CEL literal.
fn string() -> BoxedStrategy<String> {
    prop_oneof![
        3 => select(NAMES).prop_map(lit),
        2 => select(LEVELS).prop_map(lit),
        2 => "[a-z0-9:-]{0,6}".prop_map(|s| lit(&s)),
        1 => "\\PC{0,4}".prop_map(|s| lit(&s)),
        1 => select(&["'", "\"", "\\", "é", "🙂", "a\nb", "\u{7}", "true", "60"][..]).prop_map(lit),
    ]
    .boxed()
}

fn int() -> BoxedStrategy<String> {
    prop_oneof![
        4 => (-2i64..20).prop_map(|n| n.to_string()),
        1 => select(&["9223372036854775807", "-9223372036854775808", "1000000"][..]).prop_map(str::to_owned),
    ]
    .boxed()
}

fn op() -> BoxedStrategy<&'static str> {
    select(&["==", "!=", "<", "<=", ">", ">="][..]).boxed()
}

/// Keys of `data` that CEL can select with a dot.
fn ident_key() -> BoxedStrategy<&'static str> {
    select(DATA_KEYS).boxed()
}

fn any_key() -> BoxedStrategy<String> {
    prop_oneof![
        3 => select(DATA_KEYS).prop_map(str::to_owned),
        1 => select(&["config.yaml", "settings.json", "app.env", "password", "token"][..]).prop_map(str::to_owned),
    ]
    .boxed()
}

fn pattern() -> BoxedStrategy<String> {
    select(PATTERNS).prop_map(lit).boxed()
}

fn quantity_lit() -> BoxedStrategy<String> {
    select(
        &[
            "'16Gi'", "'1024Mi'", "'2'", "'500m'", "'1e3'", "'0'", "'1Ei'",
        ][..],
    )
    .prop_map(str::to_owned)
    .boxed()
}

const CONTAINERS: &str = "object.spec.template.spec.containers";

/// A condition on one container `c`.
fn container_predicate() -> BoxedStrategy<String> {
    prop_oneof![
        Just("c.image.contains(':')".to_owned()),
        Just("!c.image.endsWith(':latest')".to_owned()),
        Just("has(c.resources)".to_owned()),
        Just("has(c.resources.limits)".to_owned()),
        quantity_lit().prop_map(|q| format!("quantity(c.resources.limits.memory).compareTo(quantity({q})) <= 0")),
        Just("isQuantity(c.resources.limits.cpu)".to_owned()),
        quantity_lit().prop_map(|q| format!("quantity(c.resources.limits.cpu).isLessThan(quantity({q}))")),
        Just("quantity(c.resources.limits.memory).add(quantity('1Mi')).isGreaterThan(quantity('1Gi'))".to_owned()),
        Just("quantity(c.resources.limits.cpu).asApproximateFloat() < 1e9".to_owned()),
        Just("quantity(c.resources.limits.cpu).sign() >= 0 && quantity(c.resources.limits.cpu).isInteger()".to_owned()),
        Just("quantity(c.resources.limits.memory).sub(1).asInteger() > 0".to_owned()),
        pattern().prop_map(|p| format!("c.name.matches({p})")),
        string().prop_map(|s| format!("imageRepository(c.image).startsWith({s})")),
        Just("c.?env.orValue([]).all(e, !e.name.startsWith('AWS_'))".to_owned()),
        Just("c.?resources.?limits.?cpu.orValue('1') != '0'".to_owned()),
        Just("!has(c.env) || c.env.all(e, has(e.valueFrom) || size(e.value) < 40)".to_owned()),
        string().prop_map(|s| format!("c.name == {s}")),
        Just("c.?ports.orValue([]).all(p, p.containerPort < 1024)".to_owned()),
    ]
    .boxed()
}

/// The kinds a policy may be written for; `Any` has no focus.
pub const FOCUS: &[&str] = &["ConfigMap", "Deployment", "Secret", "Any"];

/// A condition that yields a bool when it can be evaluated, about any kind.
pub fn atom() -> BoxedStrategy<String> {
    atom_for("Any")
}

/// A condition, mostly about documents of kind `focus`.
pub fn atom_for(focus: &str) -> BoxedStrategy<String> {
    let atom = atom_unguarded(focus);
    (atom, 0u8..5).prop_map(|(a, how)| guard(&a, how)).boxed()
}

/// The first field an expression selects that documents may lack
/// (`object.data.KEY`, `object.spec.replicas`), and the `has()` that tests
/// for it.
fn presence(expr: &str) -> Option<String> {
    for prefix in ["object.data.", "object.spec."] {
        let mut from = 0;
        while let Some(at) = expr[from..].find(prefix) {
            let start = from + at + prefix.len();
            let ident: String = expr[start..]
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect();
            let after = expr[start + ident.len()..].chars().next();
            if !ident.is_empty() && after != Some('(') {
                let parent = prefix.trim_end_matches('.');
                return Some(format!("(has({parent}) && has({prefix}{ident}))"));
            }
            from = start;
        }
    }
    None
}

/// `expr` guarded by a test that the field it selects is there, two times
/// in five.
fn guard(expr: &str, how: u8) -> String {
    match (presence(expr), how) {
        (Some(has), 0) => format!("{has} && ({expr})"),
        (Some(has), 1) => format!("!{has} || ({expr})"),
        _ => expr.to_owned(),
    }
}

fn atom_unguarded(focus: &str) -> BoxedStrategy<String> {
    let basic = prop_oneof![
        ident_key().prop_map(|k| format!("has(object.data.{k})")),
        select(
            &[
                "has(object.metadata.labels)",
                "has(object.spec)",
                "has(object.metadata.namespace)",
                "has(object.data)"
            ][..]
        )
        .prop_map(str::to_owned),
        (op(), string()).prop_map(|(o, s)| format!("object.metadata.name {o} {s}")),
        (
            select(&["startsWith", "endsWith", "contains"][..]),
            string()
        )
            .prop_map(|(f, s)| format!("object.metadata.name.{f}({s})")),
        pattern().prop_map(|p| format!("object.metadata.name.matches({p})")),
        (op(), int()).prop_map(|(o, n)| format!("size(object.metadata.name) {o} {n}")),
        (ident_key(), op(), string()).prop_map(|(k, o, s)| format!("object.data.{k} {o} {s}")),
        (
            ident_key(),
            op(),
            select(&["minInterval", "maxReplicas", "maxPool"][..])
        )
            .prop_map(|(k, o, p)| format!("int(object.data.{k}) {o} params.{p}")),
        (
            ident_key(),
            op(),
            select(&["0.5", "1e3", "-1.0", "2.0"][..])
        )
            .prop_map(|(k, o, f)| format!("double(object.data.{k}) {o} {f}")),
        Just("bool(object.data.ENABLED)".to_owned()),
        (
            ident_key(),
            select(
                &[
                    "lowerAscii()",
                    "upperAscii()",
                    "trim()",
                    "reverse()",
                    "replace('a', 'b')",
                    "substring(0, 2)",
                    "charAt(1)",
                    "replace('', '-')"
                ][..]
            ),
            string()
        )
            .prop_map(|(k, f, s)| format!("object.data.{k}.{f} == {s}")),
        (ident_key(), op(), int())
            .prop_map(|(k, o, n)| format!("object.data.{k}.split(',').size() {o} {n}")),
        (ident_key(), string()).prop_map(|(k, s)| format!("object.data.{k}.indexOf({s}) >= 0")),
        (ident_key(), op(), int())
            .prop_map(|(k, o, n)| format!("object.data.{k}.lastIndexOf('-') {o} {n}")),
    ];
    let numbers = prop_oneof![
        (op(), int()).prop_map(|(o, n)| format!("object.spec.replicas {o} {n}")),
        Just("object.spec.replicas <= params.maxReplicas".to_owned()),
        int().prop_map(|n| format!("object.spec.replicas * 2 + 1 > {n}")),
        Just("double(object.spec.replicas) / 3.0 > 1.0".to_owned()),
        Just("type(object.spec.replicas) == int".to_owned()),
        Just("string(object.spec.replicas) == '3'".to_owned()),
        Just("uint(object.spec.replicas) > 0u".to_owned()),
        int().prop_map(|n| format!("math.greatest(object.spec.replicas, 1) <= {n}")),
        Just("object.spec.replicas + 0.5 > 1.0".to_owned()),
        Just("object.spec.replicas * 9223372036854775807 > 0".to_owned()),
        Just("10 / (object.spec.replicas - 1) > 0".to_owned()),
        Just("object.spec.replicas % 2 == 0".to_owned()),
        Just("-object.spec.replicas < 0".to_owned()),
    ];
    let lists = prop_oneof![
        container_predicate().prop_map(|p| format!("{CONTAINERS}.all(c, {p})")),
        container_predicate().prop_map(|p| format!("{CONTAINERS}.exists(c, {p})")),
        container_predicate().prop_map(|p| format!("{CONTAINERS}.exists_one(c, {p})")),
        (container_predicate(), op(), int())
            .prop_map(|(p, o, n)| format!("size({CONTAINERS}.filter(c, {p})) {o} {n}")),
        string().prop_map(|s| format!("{CONTAINERS}.map(c, c.name).exists(n, n == {s})")),
        Just(format!("{CONTAINERS}.map(c, c.name).isSorted()")),
        Just(format!(
            "size({CONTAINERS}.map(c, c.name).distinct()) == size({CONTAINERS})"
        )),
        int()
            .prop_map(|n| format!("{CONTAINERS}.map(c, c.?ports.orValue([]).size()).sum() <= {n}")),
        Just(format!(
            "{CONTAINERS}.all(c, {CONTAINERS}.exists_one(d, d.name == c.name))"
        )),
        (int(), int()).prop_map(|(a, b)| format!("lists.range({a}).sum() == {b}")),
        string().prop_map(|s| format!("[object.metadata.name, 'x'].sort()[0] == {s}")),
        Just("[1, 2, 2].distinct().size() == 2 && [[1], [2, 3]].flatten().size() == 3".to_owned()),
        string().prop_map(|s| format!("object.metadata.name.split('-').slice(0, 1) == [{s}]")),
        Just("[3, 1, 2].min() == 1 && [1.5, 2.0].max() > 1.0".to_owned()),
        string().prop_map(|s| format!("['a', object.metadata.name].join('/') != {s}")),
    ];
    let maps = prop_oneof![
        pattern().prop_map(|p| format!("object.data.all(k, k.matches({p}))")),
        Just("object.data.exists(k, object.data[k] == '')".to_owned()),
        Just("object.data.exists_one(k, k.startsWith('LOG'))".to_owned()),
        (op(), int())
            .prop_map(|(o, n)| format!("size(object.data.filter(k, k.size() > 5)) {o} {n}")),
        Just("object.metadata.labels.all(k, object.metadata.labels[k].size() < 10)".to_owned()),
        Just("object.data.map(k, k).size() == size(object.data)".to_owned()),
        // Which key's error is reported depends on the order keys are
        // visited: in order, in every host (docs/cel.md, "Macros over maps").
        Just("object.data.all(k, int(object.data[k]) > 0)".to_owned()),
        Just("object.data.exists(k, int(object.data[k]) > 100)".to_owned()),
        (op(), int()).prop_map(|(o, n)| format!("size(object.data) {o} {n}")),
        any_key().prop_map(|k| format!("{} in object.data", lit(&k))),
        string().prop_map(|s| format!("object.?metadata.?labels.?app.orValue('') == {s}")),
        Just("object.metadata.?namespace.orValue('default').startsWith('ml')".to_owned()),
        any_key().prop_map(|k| format!("object.data[?{}].hasValue()", lit(&k))),
        Just("object.data == {}".to_owned()),
        Just("object.metadata.labels == {'app': 'web'}".to_owned()),
        Just(
            "object.data.all(a, object.data.all(b, a == b || object.data[a] != object.data[b]))"
                .to_owned()
        ),
        Just("object.data.map(k, object.data[k]).exists(v, v == 'INFO')".to_owned()),
        Just("object.data.map(k, k).isSorted()".to_owned()),
        Just("object.data.filter(k, k.startsWith('L'))[0] == 'LOG_LEVEL'".to_owned()),
    ];
    let secrets = prop_oneof![
        (op(), int())
            .prop_map(|(o, n)| format!("base64.decode(object.data.password).size() {o} {n}")),
        Just("string(base64.decode(object.data.config)).startsWith('{')".to_owned()),
        Just("base64.encode(base64.decode(object.data.token)) == object.data.token".to_owned()),
        Just("object.data.all(k, base64.decode(object.data[k]).size() < 64)".to_owned()),
        Just("object.type == 'Opaque'".to_owned()),
    ];
    let context = prop_oneof![
        Just("oldObject == null || object.spec.replicas >= oldObject.spec.replicas".to_owned()),
        Just("oldObject == null || object.data == oldObject.data".to_owned()),
        Just("oldObject == null || object.metadata.name == oldObject.metadata.name".to_owned()),
        Just("oldObject != null".to_owned()),
        Just("env == 'production'".to_owned()),
        Just("env in ['', 'staging']".to_owned()),
        Just("params.level == 'INFO'".to_owned()),
        Just("object.data.LOG_LEVEL in params.allowed".to_owned()),
        Just("request == null".to_owned()),
        Just("'/data/config.yaml' in embedded".to_owned()),
        Just("embedded[?'/data/config.yaml'].orValue({}).?database.?pool_size.orValue(0) <= params.maxPool".to_owned()),
        Just("embedded['/data/config.yaml'].models.all(m, m.version != 'latest')".to_owned()),
        Just("embedded[?'/data/app.env'].orValue({}).?LOG_LEVEL.orValue('') != 'debug'".to_owned()),
        Just("embedded['/data/settings.json'].port >= 1024".to_owned()),
        Just("size(embedded) > 0".to_owned()),
    ];
    // Values at the edges of what a function takes: indexes past 2^32 (a
    // `usize` on wasm32), conversions out of range, overflowing durations,
    // time zones, `math` on special floats.
    let edges = prop_oneof![
        select(&["4294967296", "4294967297", "9223372036854775807", "-1", "2147483648"][..]).prop_map(|n| format!("object.metadata.name.charAt({n}) == ''")),
        select(&["4294967296", "4294967297", "9223372036854775807"][..]).prop_map(|n| format!("object.metadata.name.substring({n}) == ''")),
        select(&["4294967296", "4294967297", "9223372036854775807"][..]).prop_map(|n| format!("object.metadata.name.substring(0, {n}) == object.metadata.name")),
        select(&["4294967296", "4294967297", "-4294967295", "9223372036854775807"][..]).prop_map(|n| format!("[1, 2, 3][{n}] == 1")),
        select(&["4294967296", "4294967297"][..]).prop_map(|n| format!("{CONTAINERS}[{n}].name != ''")),
        select(&["4294967296", "4294967297"][..]).prop_map(|n| format!("[1, 2, 3].slice(1, {n}).size() == 2")),
        select(&["4294967296", "4294967297", "-1"][..]).prop_map(|n| format!("object.metadata.name.indexOf('-', {n}) >= 0")),
        select(&["4294967296", "4294967297"][..]).prop_map(|n| format!("object.metadata.name.lastIndexOf('-', {n}) >= 0")),
        select(&["4294967297", "-1", "0", "2"][..]).prop_map(|n| format!("object.metadata.name.split('-', {n}).size() >= 1")),
        select(&["int(1e19) > 0", "int(-9.3e18) < 0", "uint(-1) > 0u", "int('9223372036854775808') > 0", "double('1e400') > 0.0", "int(double(9223372036854775807)) > 0", "uint(18446744073709551615.0) > 0u", "int(-0.5) == 0", "int(2.5e0) == 2"][..]).prop_map(str::to_owned),
        select(&["duration('2562047h') > duration('1s')", "duration('9999999999h') > duration('1s')", "timestamp('9999-12-31T23:59:59Z') + duration('1s') > timestamp('2000-01-01T00:00:00Z')", "timestamp('0001-01-01T00:00:00Z') - duration('1s') < timestamp('2000-01-01T00:00:00Z')", "duration('1h30m').getMinutes() == 90", "timestamp('2024-02-29T23:30:00Z').getHours('Europe/Paris') == 0", "timestamp('2024-02-29T23:30:00Z').getDayOfWeek('-08:00') == 4", "timestamp('2024-03-10T10:00:00Z').getHours('America/New_York') == 6"][..]).prop_map(str::to_owned),
        select(&["math.sqrt(2.0) * math.sqrt(2.0) != 2.0", "math.round(-2.5) == -3.0", "math.round(2.5) == 3.0", "math.ceil(-0.5) == 0.0", "math.isNaN(math.sqrt(-1.0))", "math.trunc(1e300) == 1e300", "math.abs(-9223372036854775807 - 1) > 0", "math.bitShiftLeft(1, 64) == 0", "math.bitShiftRight(-1, 63) == 1", "math.sign(-0.0) == 0.0", "math.least(1, 2.5, -3u) < 0"][..]).prop_map(str::to_owned),
        select(&["string(0.1 + 0.2) == '0.30000000000000004'", "string(1e21) == '1e+21'", "string(-0.0) == '-0'", "string(1.0 / 3.0).size() > 5", "string(123456789012345680000.0) != ''", "double('0x10') == 16.0", "double(' 1') == 1.0", "string(5e-324) != '0'"][..]).prop_map(str::to_owned),
        select(&["quantity('1Ei').asInteger() > 0", "quantity('999999999999999999999999999999').isInteger()", "quantity('1.5').asInteger() == 1", "quantity('9223372036854775807').add(1).isInteger()", "quantity('1e18').compareTo(quantity('1E')) == 0", "quantity('0.000000001').sign() == 1", "quantity('1n').isGreaterThan(quantity('0'))"][..]).prop_map(str::to_owned),
        select(&["object.metadata.name.size() == bytes(object.metadata.name).size()", "size(object.metadata.name.reverse()) == size(object.metadata.name)", "object.metadata.name.upperAscii().lowerAscii() == object.metadata.name.lowerAscii()", "object.metadata.name.trim() == object.metadata.name", "'é' < 'z' && 'Z' < 'a'", "b'\\xff' < b'\\x00\\x01' == false"][..]).prop_map(str::to_owned),
    ];
    let other = prop_oneof![
        Just("timestamp(object.metadata.creationTimestamp) < timestamp('2030-01-01T00:00:00Z')".to_owned()),
        int().prop_map(|n| format!("duration('1h') > duration('{n}m')")),
        Just("timestamp(object.metadata.creationTimestamp).getFullYear() >= 2024".to_owned()),
        Just("isURL(object.data.ENDPOINT)".to_owned()),
        string().prop_map(|s| format!("url(object.data.ENDPOINT).getHost() == {s}")),
        Just("url(object.data.ENDPOINT).getScheme() == 'https' && url(object.data.ENDPOINT).getPort() != '80'".to_owned()),
        Just("parseModelList(object.data.PRELOAD_MODELS).all(m, m.version != 'latest')".to_owned()),
        (op(), int()).prop_map(|(o, n)| format!("size(parseModelList(object.data.PRELOAD_MODELS)) {o} {n}")),
        (ident_key(), string()).prop_map(|(k, s)| format!("object.data.{k}.find('[0-9]+') == {s}")),
        (ident_key(), op(), int()).prop_map(|(k, o, n)| format!("object.data.{k}.findAll('[a-z]').size() {o} {n}")),
        Just("strings.quote(object.metadata.name) != ''".to_owned()),
        (string(), op(), int()).prop_map(|(s, o, n)| format!("(object.metadata.name + {s}).size() {o} {n}")),
        int().prop_map(|n| format!("object.metadata.name.substring({n}) != ''")),
        int().prop_map(|n| format!("object.metadata.name.charAt({n}) != 'x'")),
        Just("object == object".to_owned()),
        Just("true".to_owned()),
        Just("false".to_owned()),
    ];
    // Weights of basic, numbers, lists, maps, secrets, context, other, edges.
    let w: [u32; 8] = match focus {
        "ConfigMap" => [5, 0, 1, 4, 0, 3, 3, 1],
        "Deployment" => [1, 4, 5, 1, 0, 2, 1, 1],
        "Secret" => [1, 0, 1, 3, 4, 1, 1, 1],
        _ => [4, 2, 3, 3, 1, 2, 2, 2],
    };
    prop_oneof![
        w[0] => basic,
        w[1] => numbers,
        w[2] => lists,
        w[3] => maps,
        w[4] => secrets,
        w[5] => context,
        w[6] => other,
        w[7] => edges,
    ]
    .boxed()
}

/// A condition: atoms under `!`, `&&`, `||` and `?:`.
pub fn condition(focus: &str) -> BoxedStrategy<String> {
    atom_for(focus)
        .prop_recursive(2, 6, 3, |inner| {
            prop_oneof![
                inner.clone().prop_map(|a| format!("!({a})")),
                (inner.clone(), inner.clone()).prop_map(|(a, b)| format!("({a}) && ({b})")),
                (inner.clone(), inner.clone()).prop_map(|(a, b)| format!("{a} || {b}")),
                (inner.clone(), inner.clone(), inner)
                    .prop_map(|(c, a, b)| format!("({c}) ? ({a}) : ({b})")),
            ]
        })
        .boxed()
}

/// A `messageExpr`: strings mostly, values of other types too (written as
/// JSON).
pub fn message() -> BoxedStrategy<String> {
    prop_oneof![
        3 => Just("'name ' + object.metadata.name".to_owned()),
        2 => string(),
        1 => Just("string(size(object.data))".to_owned()),
        1 => Just("size(object.data)".to_owned()),
        1 => Just("object.data".to_owned()),
        1 => Just("object.metadata".to_owned()),
        1 => Just("[1, 'a', true, 1.5, null, -0.0, 1e300]".to_owned()),
        1 => Just("object.spec.replicas".to_owned()),
        1 => Just("object.metadata.name + ': ' + string(object.spec.replicas)".to_owned()),
        1 => Just("{'k': object.metadata.name, 'b': [1u, 2.5]}".to_owned()),
        1 => Just("object.data.DATABASE_URL".to_owned()),
        1 => Just("1.0 / 3.0".to_owned()),
        1 => Just("object.data.map(k, k)".to_owned()),
        1 => Just("object.data.map(k, object.data[k]).join(',')".to_owned()),
        1 => Just("string(double(object.spec.replicas) / 7.0)".to_owned()),
        1 => Just("b'bytes\\xff'".to_owned()),
        1 => Just("duration('90m')".to_owned()),
        1 => Just("timestamp('2024-02-29T12:00:00Z')".to_owned()),
        1 => Just("quantity('1.5Gi')".to_owned()),
    ]
    .boxed()
}

/// Expressions that do not compile (or cannot yield a bool).
pub fn broken() -> BoxedStrategy<String> {
    prop_oneof![
        Just("object.metadata.name >".to_owned()),
        Just("unknownFunction(object)".to_owned()),
        Just("foo.bar == 1".to_owned()),
        Just("object.spec.replicas + 1".to_owned()),
        select(BAD_PATTERNS).prop_map(|p| format!("object.metadata.name.matches({})", lit(p))),
        Just("'x' == 'x' &&".to_owned()),
        (33usize..40).prop_map(|n| format!("{}true{}", "(".repeat(n), ")".repeat(n))),
        Just("[1, 2]".to_owned()),
        Just(format!("object{}", ".a".repeat(70))),
        Just("object.data.all(k)".to_owned()),
        Just("'unterminated".to_owned()),
        Just("1 == 1 ? 'a' : 2".to_owned()),
    ]
    .boxed()
}
