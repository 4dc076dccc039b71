//! Resolving a config: preset, then a TOML file, then flags. Unknown keys and values of the
//! wrong type are errors that name the key.

use crate::error::{ConfigError, Result};
use serde_json::Value;
use std::path::Path;

/// Merges a TOML config file over `preset` (a JSON object). Every key of the file must
/// exist in the preset and have a compatible type.
pub fn resolve_config(preset: &Value, file: Option<&Path>) -> Result<Value> {
    let mut config = preset.clone();
    if let Some(path) = file {
        let text = std::fs::read_to_string(path).map_err(|e| ConfigError::File {
            file: path.to_path_buf(),
            message: format!("cannot read ({e})"),
        })?;
        let table: toml::Table = text
            .parse()
            .map_err(|e: toml::de::Error| ConfigError::File {
                file: path.to_path_buf(),
                message: format!("not valid TOML: {}", e.message()),
            })?;
        let value = serde_json::to_value(table).map_err(|e| ConfigError::File {
            file: path.to_path_buf(),
            message: e.to_string(),
        })?;
        merge(&mut config, &value, "").map_err(|e| match e {
            ConfigError::Key { key, message } => ConfigError::File {
                file: path.to_path_buf(),
                message: format!("key `{key}`: {message}"),
            },
            other => other,
        })?;
    }
    Ok(config)
}

/// Sets `key` to `value` (a flag override), checking the key exists and the type fits.
pub fn set_key(config: &mut Value, key: &str, value: Value, flag: &str) -> Result<(), ConfigError> {
    let Some(object) = config.as_object_mut() else {
        return Err(ConfigError::Key {
            key: key.into(),
            message: "config is not a table".into(),
        });
    };
    match object.get(key) {
        None => Err(ConfigError::Key {
            key: key.into(),
            message: format!("{flag} does not apply: this experiment has no `{key}` setting"),
        }),
        Some(old) => {
            check_type(old, &value, key)?;
            object.insert(key.into(), value);
            Ok(())
        }
    }
}

fn merge(base: &mut Value, over: &Value, prefix: &str) -> Result<(), ConfigError> {
    let (Some(base), Some(over)) = (base.as_object_mut(), over.as_object()) else {
        return Ok(());
    };
    for (key, value) in over {
        let path = if prefix.is_empty() {
            key.clone()
        } else {
            format!("{prefix}.{key}")
        };
        match base.get_mut(key) {
            None => {
                let known: Vec<&String> = base.keys().collect();
                return Err(ConfigError::Key {
                    key: path,
                    message: format!(
                        "unknown key; known keys: {}",
                        known
                            .iter()
                            .map(|k| k.as_str())
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                });
            }
            Some(old) if old.is_object() && value.is_object() => merge(old, value, &path)?,
            Some(old) => {
                check_type(old, value, &path)?;
                *old = value.clone();
            }
        }
    }
    Ok(())
}

/// The new value must have the kind of the preset's value; a preset `null` (an optional
/// setting) takes anything, which serde then checks.
fn check_type(old: &Value, new: &Value, key: &str) -> Result<(), ConfigError> {
    let describe = |v: &Value| match v {
        Value::Null => "nothing".to_string(),
        Value::Bool(b) => format!("boolean {b}"),
        Value::Number(n) => format!("number {n}"),
        Value::String(s) => format!("string \"{s}\""),
        Value::Array(_) => "a list".to_string(),
        Value::Object(_) => "a table".to_string(),
    };
    let fail = |expected: &str| {
        Err(ConfigError::Key {
            key: key.into(),
            message: format!("expected {expected}, found {}", describe(new)),
        })
    };
    match (old, new) {
        (Value::Null, _) => Ok(()),
        (Value::Number(o), Value::Number(n)) => {
            if o.is_u64() && !n.is_u64() {
                fail("a non-negative integer")
            } else if o.is_i64() && !o.is_u64() && !(n.is_i64() || n.is_u64()) {
                fail("an integer")
            } else {
                Ok(())
            }
        }
        (Value::Number(o), _) if o.is_u64() => fail("a non-negative integer"),
        (Value::Number(_), _) => fail("a number"),
        (Value::Bool(_), Value::Bool(_)) => Ok(()),
        (Value::Bool(_), _) => fail("true or false"),
        (Value::String(_), Value::String(_)) => Ok(()),
        (Value::String(s), _) => fail(&format!("a string like \"{s}\"")),
        (Value::Array(_), Value::Array(_)) => Ok(()),
        (Value::Array(_), _) => fail("a list"),
        (Value::Object(_), Value::Object(_)) => Ok(()),
        (Value::Object(_), _) => fail("a table"),
    }
}
