//! What one request may ask, checked before anything recursive or costly runs.
//!
//! async-graphql parses a document with a recursive descent, and validates it with rules some
//! of which are quadratic in the number of fields; its complexity counts each field once,
//! whatever page size or list it sits under. So every document goes through [`check`] first:
//!
//! 1. a flat scan of the text refuses brackets nested deeper than [`MAX_NESTING`] (a value of
//!    3 000 nested lists overflowed a worker's stack during parsing and aborted the process);
//! 2. the parsed document is walked once, with the types of the served schema, to count its
//!    fields ([`MAX_FIELDS`]) and aliases ([`MAX_ALIASES`]) and to estimate its cost: each
//!    field costs 1, a field with `first` multiplies what it selects by the page size asked
//!    (its default when absent), any other list multiplies what it selects by
//!    [`LIST_ESTIMATE`], and a read *as of* a past moment adds [`TIME_TRAVEL_COST`] (it folds
//!    the log). A cost above [`MAX_COST`] is refused.
//!
//! Every refusal is LIMIT with a French message naming the figure and its bound, and happens
//! before any resolver runs. The router adds the bounds that are not about one document:
//! [`MAX_BATCH`] requests in one POST and [`MAX_ANSWER_BYTES`] in one answer.

use crate::error::ApiError;
use async_graphql::Variables;
use async_graphql::parser::types::{
    BaseType, DocumentOperations, ExecutableDocument, OperationType, Selection, SelectionSet, Type,
    TypeKind, TypeSystemDefinition,
};
use async_graphql::{Name, Value};
use std::collections::HashMap;

/// Deepest nesting of `{`, `[` and `(` accepted in a document.
pub const MAX_NESTING: usize = 64;
/// Most fields one document may select (counted where they are written).
pub const MAX_FIELDS: usize = 2_000;
/// Most aliases in one document.
pub const MAX_ALIASES: usize = 30;
/// Highest estimated cost of one operation (see the module's doc).
pub const MAX_COST: u64 = 100_000;
/// How many items a list without `first` is assumed to hold.
pub const LIST_ESTIMATE: u64 = 10;
/// What reading at a past moment (`asOf`) adds to a field's cost.
pub const TIME_TRAVEL_COST: u64 = 1_000;
/// Most requests in one batched POST; a larger batch is refused whole.
pub const MAX_BATCH: usize = 5;
/// Largest answer sent, in bytes.
pub const MAX_ANSWER_BYTES: usize = 16 * 1024 * 1024;

/// The page size assumed when a field's `first` has no default in the schema.
const DEFAULT_PAGE: u64 = 50;

/// What the walk needs of one field of the schema.
#[derive(Debug, Clone)]
struct FieldShape {
    /// The named type at the bottom of its type (`Action` for `[Action!]!`).
    target: String,
    is_list: bool,
    /// The default of its `first` argument, when it has one.
    first_default: Option<u64>,
    has_first: bool,
}

/// The types of the served schema, read from its SDL once at start-up.
#[derive(Debug, Clone, Default)]
pub struct SchemaShape {
    fields: HashMap<(String, String), FieldShape>,
    query: String,
    mutation: String,
    subscription: String,
}

fn named(ty: &Type) -> (&str, bool) {
    match &ty.base {
        BaseType::Named(name) => (name.as_str(), false),
        BaseType::List(inner) => (named(inner).0, true),
    }
}

impl SchemaShape {
    /// Reads the object and interface fields of `sdl` (the schema as served).
    pub fn from_sdl(sdl: &str) -> SchemaShape {
        let mut shape = SchemaShape {
            query: "Query".to_owned(),
            mutation: "Mutation".to_owned(),
            subscription: "Subscription".to_owned(),
            ..SchemaShape::default()
        };
        let Ok(document) = async_graphql::parser::parse_schema(sdl) else {
            // The served schema always parses; without it every field counts as a leaf.
            return shape;
        };
        for definition in document.definitions {
            match definition {
                TypeSystemDefinition::Schema(schema) => {
                    let schema = schema.node;
                    if let Some(query) = schema.query {
                        shape.query = query.node.to_string();
                    }
                    if let Some(mutation) = schema.mutation {
                        shape.mutation = mutation.node.to_string();
                    }
                    if let Some(subscription) = schema.subscription {
                        shape.subscription = subscription.node.to_string();
                    }
                }
                TypeSystemDefinition::Type(ty) => {
                    let ty = ty.node;
                    let fields = match ty.kind {
                        TypeKind::Object(object) => object.fields,
                        TypeKind::Interface(interface) => interface.fields,
                        _ => continue,
                    };
                    for field in fields {
                        let field = field.node;
                        let (target, is_list) = named(&field.ty.node);
                        let first = field
                            .arguments
                            .iter()
                            .find(|argument| argument.node.name.node == "first");
                        let first_default = first
                            .and_then(|argument| argument.node.default_value.as_ref())
                            .and_then(|value| match &value.node {
                                Value::Number(n) => n.as_u64(),
                                _ => None,
                            });
                        shape.fields.insert(
                            (ty.name.node.to_string(), field.name.node.to_string()),
                            FieldShape {
                                target: target.to_owned(),
                                is_list,
                                first_default,
                                has_first: first.is_some(),
                            },
                        );
                    }
                }
                TypeSystemDefinition::Directive(_) => {}
            }
        }
        shape
    }
}

/// What [`check`] learnt of an accepted document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checked {
    /// The type of the operation that will run (the only one, or the one named).
    pub operation: Option<OperationType>,
    pub cost: u64,
    pub fields: usize,
    pub aliases: usize,
}

/// Refuses brackets nested deeper than [`MAX_NESTING`], by a flat scan that skips strings,
/// block strings and comments. Runs before the parser, which recurses on nesting.
pub fn check_nesting(query: &str) -> Result<(), ApiError> {
    let bytes = query.as_bytes();
    let mut depth = 0usize;
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'#' => {
                while i < bytes.len() && bytes[i] != b'\n' && bytes[i] != b'\r' {
                    i += 1;
                }
            }
            b'"' if bytes[i..].starts_with(b"\"\"\"") => {
                i += 3;
                while i < bytes.len() && !bytes[i..].starts_with(b"\"\"\"") {
                    // An escaped triple quote does not close the block string.
                    i += if bytes[i..].starts_with(b"\\\"\"\"") {
                        4
                    } else {
                        1
                    };
                }
                i += 2;
            }
            b'"' => {
                i += 1;
                while i < bytes.len() && bytes[i] != b'"' && bytes[i] != b'\n' {
                    i += if bytes[i] == b'\\' { 2 } else { 1 };
                }
            }
            b'{' | b'[' | b'(' => {
                depth += 1;
                if depth > MAX_NESTING {
                    return Err(ApiError::limit(format!(
                        "La requête imbrique plus de {MAX_NESTING} niveaux d'accolades, de crochets ou de parenthèses : simplifiez-la."
                    )));
                }
            }
            b'}' | b']' | b')' => depth = depth.saturating_sub(1),
            _ => {}
        }
        i += 1;
    }
    Ok(())
}

/// Checks the text, parses it, and walks it once: the parsed document is returned so that it
/// is not parsed again. A document that does not parse is left to async-graphql, which
/// explains the syntax error.
pub fn check(
    shape: &SchemaShape,
    query: &str,
    operation_name: Option<&str>,
    variables: &Variables,
) -> Result<Option<(ExecutableDocument, Checked)>, ApiError> {
    check_nesting(query)?;
    let Ok(document) = async_graphql::parser::parse_query(query) else {
        return Ok(None);
    };
    let checked = walk(shape, &document, operation_name, variables)?;
    Ok(Some((document, checked)))
}

struct Walk<'a> {
    shape: &'a SchemaShape,
    document: &'a ExecutableDocument,
    variables: &'a Variables,
    fields: usize,
    aliases: usize,
    /// The cost of each fragment, computed once however often it is spread.
    fragment_costs: HashMap<Name, u64>,
}

fn walk(
    shape: &SchemaShape,
    document: &ExecutableDocument,
    operation_name: Option<&str>,
    variables: &Variables,
) -> Result<Checked, ApiError> {
    let mut walk = Walk {
        shape,
        document,
        variables,
        fields: 0,
        aliases: 0,
        fragment_costs: HashMap::new(),
    };
    // Fields and aliases are counted where they are written, fragments included.
    for (_, fragment) in document.fragments.iter() {
        walk.count(&fragment.node.selection_set.node);
    }
    let operations: Vec<_> = match &document.operations {
        DocumentOperations::Single(operation) => vec![(None, operation)],
        DocumentOperations::Multiple(map) => map
            .iter()
            .map(|(name, operation)| (Some(name.as_str()), operation))
            .collect(),
    };
    for (_, operation) in &operations {
        walk.count(&operation.node.selection_set.node);
    }
    if walk.fields > MAX_FIELDS {
        return Err(ApiError::limit(format!(
            "La requête demande {} champs ; au plus {MAX_FIELDS} sont acceptés.",
            walk.fields
        )));
    }
    if walk.aliases > MAX_ALIASES {
        return Err(ApiError::limit(format!(
            "La requête utilise {} alias ; au plus {MAX_ALIASES} sont acceptés.",
            walk.aliases
        )));
    }
    let mut cost = 0;
    let mut operation_type = None;
    for (name, operation) in &operations {
        let chosen = match (operation_name, name) {
            (Some(wanted), Some(name)) => wanted == *name,
            _ => true,
        };
        let root = match operation.node.ty {
            OperationType::Query => &shape.query,
            OperationType::Mutation => &shape.mutation,
            OperationType::Subscription => &shape.subscription,
        };
        let operation_cost = walk.cost(Some(root), &operation.node.selection_set.node, 0)?;
        if chosen {
            operation_type = Some(operation.node.ty);
        }
        cost = cost.max(operation_cost);
    }
    if cost > MAX_COST {
        return Err(too_costly(cost));
    }
    Ok(Checked {
        operation: operation_type,
        cost,
        fields: walk.fields,
        aliases: walk.aliases,
    })
}

fn too_costly(cost: u64) -> ApiError {
    let shown = if cost == u64::MAX {
        "plus de 10¹⁸".to_owned()
    } else {
        cost.to_string()
    };
    ApiError::limit(format!(
        "La requête est trop coûteuse : son coût estimé est de {shown}, au plus {MAX_COST} est accepté. Demandez des pages plus petites (« first »), moins de listes imbriquées ou moins d'alias."
    ))
}

impl Walk<'_> {
    fn count(&mut self, set: &SelectionSet) {
        for selection in &set.items {
            match &selection.node {
                Selection::Field(field) => {
                    self.fields += 1;
                    if field.node.alias.is_some() {
                        self.aliases += 1;
                    }
                    self.count(&field.node.selection_set.node);
                }
                Selection::InlineFragment(fragment) => {
                    self.count(&fragment.node.selection_set.node)
                }
                Selection::FragmentSpread(_) => {}
            }
        }
    }

    /// The page size a field's `first` asks: the literal, the variable's value, or the
    /// schema's default.
    fn first(&self, field: &async_graphql::parser::types::Field, shape: &FieldShape) -> u64 {
        let asked = field.get_argument("first").and_then(|value| {
            let value = value
                .node
                .clone()
                .into_const_with(|name| self.variables.get(&name).cloned().ok_or(()))
                .ok()?;
            match value {
                Value::Number(n) => Some(n.as_u64().unwrap_or(0)),
                _ => None,
            }
        });
        asked.or(shape.first_default).unwrap_or(DEFAULT_PAGE)
    }

    /// Whether `asOf` is given a value (a literal, or a variable that is set and not null).
    fn reads_the_past(&self, field: &async_graphql::parser::types::Field) -> bool {
        field.get_argument("asOf").is_some_and(|value| {
            !matches!(
                value.node.clone().into_const_with(|name| self
                    .variables
                    .get(&name)
                    .cloned()
                    .ok_or(())),
                Ok(Value::Null) | Err(())
            )
        })
    }

    fn cost(
        &mut self,
        ty: Option<&str>,
        set: &SelectionSet,
        depth: usize,
    ) -> Result<u64, ApiError> {
        if depth > MAX_NESTING {
            return Err(ApiError::limit(format!(
                "La requête imbrique plus de {MAX_NESTING} niveaux de sélections et de fragments : simplifiez-la."
            )));
        }
        let mut total: u64 = 0;
        for selection in &set.items {
            let cost = match &selection.node {
                Selection::Field(field) => {
                    let field = &field.node;
                    let shape = ty.and_then(|ty| {
                        self.shape
                            .fields
                            .get(&(ty.to_owned(), field.name.node.to_string()))
                            .cloned()
                    });
                    let children = if field.selection_set.node.items.is_empty() {
                        0
                    } else {
                        self.cost(
                            shape.as_ref().map(|s| s.target.as_str()),
                            &field.selection_set.node,
                            depth + 1,
                        )?
                    };
                    let factor = match &shape {
                        Some(shape) if shape.has_first => self.first(field, shape),
                        // A connection's edges are its page, already counted by `first`.
                        Some(shape) if shape.is_list && field.name.node != "edges" => LIST_ESTIMATE,
                        _ => 1,
                    };
                    let past = if self.reads_the_past(field) {
                        TIME_TRAVEL_COST
                    } else {
                        0
                    };
                    children.saturating_mul(factor).saturating_add(1 + past)
                }
                Selection::InlineFragment(fragment) => {
                    let fragment = &fragment.node;
                    let ty = fragment
                        .type_condition
                        .as_ref()
                        .map(|condition| condition.node.on.node.to_string())
                        .or_else(|| ty.map(str::to_owned));
                    self.cost(ty.as_deref(), &fragment.selection_set.node, depth + 1)?
                }
                Selection::FragmentSpread(spread) => {
                    let name = &spread.node.fragment_name.node;
                    if let Some(cost) = self.fragment_costs.get(name) {
                        *cost
                    } else if let Some(fragment) = self.document.fragments.get(name) {
                        let on = fragment.node.type_condition.node.on.node.to_string();
                        let cost =
                            self.cost(Some(&on), &fragment.node.selection_set.node, depth + 1)?;
                        self.fragment_costs.insert(name.clone(), cost);
                        cost
                    } else {
                        // An unknown fragment: validation explains it.
                        0
                    }
                }
            };
            total = total.saturating_add(cost);
            if total > MAX_COST {
                return Err(too_costly(total));
            }
        }
        Ok(total)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cost(query: &str, variables: serde_json::Value) -> Result<u64, ApiError> {
        let shape = SchemaShape::from_sdl(include_str!("../schema.graphql"));
        let variables = Variables::from_json(variables);
        check(&shape, query, None, &variables).map(|checked| checked.unwrap().1.cost)
    }

    #[test]
    fn a_page_multiplies_what_it_selects_and_lists_count_ten() {
        // money: 10 × 2 + 1; node: 23 + 1; edges (the page itself): 24 + 1; actions: 500 × 25 + 1.
        let query = "{ actions(programmeId: \"p\", first: 500) { edges { node { id title money { requested granted } } } } }";
        assert_eq!(cost(query, serde_json::json!({})).unwrap(), 12_501);
        // The page size from a variable, and the schema's default when absent.
        let query = "query($n: Int) { actions(programmeId: \"p\", first: $n) { totalCount } }";
        assert_eq!(cost(query, serde_json::json!({"n": 200})).unwrap(), 201);
        let query = "{ actions(programmeId: \"p\") { totalCount } }";
        assert_eq!(cost(query, serde_json::json!({})).unwrap(), 51);
    }

    #[test]
    fn reading_the_past_adds_a_fold() {
        let query = "{ programme(id: \"p\", asOf: {position: 3}) { name } }";
        assert_eq!(
            cost(query, serde_json::json!({})).unwrap(),
            1 + 1 + TIME_TRAVEL_COST
        );
        let query = "query($at: AsOf) { programme(id: \"p\", asOf: $at) { name } }";
        assert_eq!(cost(query, serde_json::json!({"at": null})).unwrap(), 2);
    }

    #[test]
    fn fragments_spread_twice_at_each_level_are_costed_once_each() {
        let mut text = String::from("{ ...F0 }");
        for i in 0..60 {
            text.push_str(&format!(
                " fragment F{i} on Query {{ me {{ role }} ...F{} ...F{} }}",
                i + 1,
                i + 1
            ));
        }
        text.push_str(" fragment F60 on Query { me { role } }");
        // Walked naively this is 2⁶⁰ visits; costed once per fragment it is refused at once.
        let error = cost(&text, serde_json::json!({})).unwrap_err();
        assert!(error.to_string().contains("coût estimé"), "{error}");
    }

    #[test]
    fn aliases_and_fields_are_bounded() {
        let aliases: Vec<String> = (0..=MAX_ALIASES)
            .map(|i| format!("a{i}: me {{ role }}"))
            .collect();
        let error = cost(
            &format!("{{ {} }}", aliases.join(" ")),
            serde_json::json!({}),
        )
        .unwrap_err();
        assert!(error.to_string().contains("31 alias"), "{error}");
        let fields = vec!["__typename"; MAX_FIELDS + 1].join(" ");
        let error = cost(&format!("{{ {fields} }}"), serde_json::json!({})).unwrap_err();
        assert!(error.to_string().contains("2001 champs"), "{error}");
    }

    #[test]
    fn nesting_ignores_brackets_in_strings_and_comments() {
        let text = format!(
            "{{ a(b: \"{}\") # {}\n c(d: \"\"\"{}\"\"\") }}",
            "[".repeat(500),
            "{".repeat(500),
            "(".repeat(500)
        );
        assert!(check_nesting(&text).is_ok());
    }

    #[test]
    fn nesting_deeper_than_the_bound_is_refused() {
        let text = format!("{{ a(b: {}1{}) }}", "[".repeat(3000), "]".repeat(3000));
        let error = check_nesting(&text).unwrap_err();
        assert_eq!(error.code(), crate::error::Code::Limit);
        let at_bound = format!(
            "{{ a(b: {}1{}) }}",
            "[".repeat(MAX_NESTING - 2),
            "]".repeat(MAX_NESTING - 2)
        );
        assert!(check_nesting(&at_bound).is_ok());
    }
}
