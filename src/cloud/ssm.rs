//! `{ ssm = "/name" }` secrets: read once per start from AWS Systems Manager Parameter Store,
//! with decryption.

use crate::config::{Config, Secret, SecretSource};

/// A parameter could not be read.
#[derive(Debug, thiserror::Error)]
#[error("{key}: cannot read SSM parameter {parameter}: {reason}")]
pub struct SsmError {
    /// Dotted config key (`qbit.main.password`).
    pub key: String,
    /// Parameter name.
    pub parameter: String,
    /// Why (from the SDK; never the value).
    pub reason: String,
}

/// Every secret of `config` that comes from SSM, with its dotted key.
fn wanted(config: &Config) -> Vec<(String, String)> {
    let qbit = config
        .qbit
        .iter()
        .filter(|(_, q)| !q.disabled)
        .filter_map(|(n, q)| match (&q.api_key_source, &q.password_source) {
            (Some(SecretSource::Ssm(p)), _) => Some((format!("qbit.{n}.api_key"), p.clone())),
            (None, SecretSource::Ssm(p)) => Some((format!("qbit.{n}.password"), p.clone())),
            _ => None,
        });
    let arr = config
        .arr
        .iter()
        .filter_map(|(n, a)| match &a.api_key_source {
            SecretSource::Ssm(p) => Some((format!("arr.{n}.api_key"), p.clone())),
            _ => None,
        });
    let notify = config
        .notify
        .iter()
        .enumerate()
        .filter_map(|(i, n)| match &n.url_source {
            SecretSource::Ssm(p) => Some((format!("notify[{i}].url"), p.clone())),
            _ => None,
        });
    qbit.chain(arr).chain(notify).collect()
}

/// Resolves the SSM secrets of `config` in place. Sends nothing when there are none.
pub async fn resolve(config: &mut Config) -> Result<(), SsmError> {
    let wanted = wanted(config);
    if wanted.is_empty() {
        return Ok(());
    }
    let sdk = aws_config::load_defaults(aws_config::BehaviorVersion::latest()).await;
    let client = aws_sdk_ssm::Client::new(&sdk);
    for (key, parameter) in wanted {
        let out = client
            .get_parameter()
            .name(&parameter)
            .with_decryption(true)
            .send()
            .await
            .map_err(|e| SsmError {
                key: key.clone(),
                parameter: parameter.clone(),
                reason: aws_sdk_ssm::error::DisplayErrorContext(&e).to_string(),
            })?;
        let value = out
            .parameter()
            .and_then(|p| p.value())
            .ok_or_else(|| SsmError {
                key: key.clone(),
                parameter: parameter.clone(),
                reason: "the parameter has no value".into(),
            })?
            .to_string();
        set(config, &key, Secret::new(value));
    }
    Ok(())
}

fn set(config: &mut Config, key: &str, secret: Secret) {
    let mut parts = key.splitn(3, '.');
    match (parts.next(), parts.next()) {
        (Some("qbit"), Some(name)) => {
            if let Some(q) = config.qbit.get_mut(name) {
                if key.ends_with(".api_key") {
                    q.api_key = secret;
                } else {
                    q.password = secret;
                }
            }
        }
        (Some("arr"), Some(name)) => {
            if let Some(a) = config.arr.get_mut(name) {
                a.api_key = secret;
            }
        }
        (Some(target), _) => {
            let index = target
                .strip_prefix("notify[")
                .and_then(|t| t.strip_suffix(']'))
                .and_then(|i| i.parse::<usize>().ok());
            if let Some(n) = index.and_then(|i| config.notify.get_mut(i)) {
                n.url = secret;
            }
        }
        _ => {}
    }
}
