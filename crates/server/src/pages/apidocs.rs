//! A browsable API reference rendered on the server from the OpenAPI document, so it
//! works offline and needs nothing downloaded at build or run time.

use super::{Chrome, PageCtx, render};
use crate::api::ROUTES;
use crate::state::AppState;
use askama::Template;
use axum::Router;
use axum::extract::State;
use axum::response::Response;
use axum::routing::get;
use serde_json::Value;

pub(super) fn router() -> Router<AppState> {
    Router::new().route("/api", get(api_reference))
}

struct Operation {
    anchor: String,
    method: String,
    method_lower: String,
    path: String,
    summary: String,
    description: String,
    access: String,
    params: Vec<(String, String, bool, String)>,
    request_schema: String,
    responses: Vec<(String, String)>,
}

#[derive(Template)]
#[template(path = "api.html")]
struct ApiPage {
    chrome: Chrome,
    operations: Vec<Operation>,
}

fn text(v: &Value, key: &str) -> String {
    v.get(key).and_then(Value::as_str).unwrap_or("").to_owned()
}

/// Follows a `$ref` into `components.schemas`.
fn resolve<'a>(doc: &'a Value, schema: &'a Value) -> &'a Value {
    match schema
        .get("$ref")
        .and_then(Value::as_str)
        .and_then(|r| r.strip_prefix("#/components/schemas/"))
    {
        Some(name) => doc
            .pointer(&format!("/components/schemas/{name}"))
            .unwrap_or(schema),
        None => schema,
    }
}

fn type_name(schema: &Value) -> String {
    match schema.get("type") {
        Some(Value::String(t)) => t.clone(),
        Some(Value::Array(ts)) => ts
            .iter()
            .filter_map(Value::as_str)
            .collect::<Vec<_>>()
            .join(" | "),
        _ => schema
            .get("$ref")
            .and_then(Value::as_str)
            .and_then(|r| r.rsplit('/').next())
            .unwrap_or("object")
            .to_owned(),
    }
}

/// One line per property: `name: type (required) — description`.
fn describe_schema(doc: &Value, schema: &Value) -> String {
    let schema = resolve(doc, schema);
    let required: Vec<&str> = schema
        .get("required")
        .and_then(Value::as_array)
        .map(|r| r.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    let Some(props) = schema.get("properties").and_then(Value::as_object) else {
        return type_name(schema);
    };
    props
        .iter()
        .map(|(name, p)| {
            let req = if required.contains(&name.as_str()) {
                ", required"
            } else {
                ""
            };
            let desc = text(p, "description");
            format!("{name}: {}{req}  {desc}", type_name(p))
        })
        .collect::<Vec<_>>()
        .join("\n")
}

fn operations(doc: &Value) -> Vec<Operation> {
    let mut out = Vec::new();
    let Some(paths) = doc.get("paths").and_then(Value::as_object) else {
        return out;
    };
    for (path, item) in paths {
        for method in ["get", "post", "put", "patch", "delete"] {
            let Some(op) = item.get(method) else { continue };
            let upper = method.to_uppercase();
            let access = ROUTES
                .iter()
                .find(|(m, p, _)| *m == upper && p == path)
                .map_or("undeclared", |(_, _, a)| *a);
            let params = op
                .get("parameters")
                .and_then(Value::as_array)
                .map(|ps| {
                    ps.iter()
                        .map(|p| {
                            let kind = format!(
                                "{} {}",
                                text(p, "in"),
                                p.get("schema").map(type_name).unwrap_or_default()
                            );
                            (
                                text(p, "name"),
                                kind,
                                p.get("required").and_then(Value::as_bool).unwrap_or(false),
                                text(p, "description"),
                            )
                        })
                        .collect()
                })
                .unwrap_or_default();
            let request_schema = op
                .pointer("/requestBody/content/application~1json/schema")
                .map(|s| describe_schema(doc, s))
                .unwrap_or_default();
            let responses = op
                .get("responses")
                .and_then(Value::as_object)
                .map(|rs| {
                    rs.iter()
                        .map(|(code, r)| (code.clone(), text(r, "description")))
                        .collect()
                })
                .unwrap_or_default();
            out.push(Operation {
                anchor: format!(
                    "{method}-{}",
                    path.replace(['/', '{', '}', '.'], "-").trim_matches('-')
                ),
                method: upper,
                method_lower: method.to_owned(),
                path: path.clone(),
                summary: text(op, "summary"),
                description: text(op, "description"),
                access: access.to_owned(),
                params,
                request_schema,
                responses,
            });
        }
    }
    out
}

async fn api_reference(State(state): State<AppState>, ctx: PageCtx) -> Response {
    let doc = serde_json::to_value(state.openapi.as_ref()).unwrap_or(Value::Null);
    let page = ApiPage {
        chrome: ctx.chrome(),
        operations: operations(&doc),
    };
    render(&state, ctx.tr.locale, &page)
}
