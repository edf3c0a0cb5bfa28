//! `{ ssm = "/name" }` secrets: read once per start from AWS Systems Manager Parameter Store,
//! with decryption.

use sweeparr::config::{Config, Secret, SecretSlot, SecretSource};

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

/// Every secret of `config` that comes from SSM: where it goes and the parameter name.
fn wanted(config: &Config) -> Vec<(SecretSlot, String)> {
    SecretSlot::all(config)
        .into_iter()
        .filter_map(|slot| match slot.source(config) {
            Some(SecretSource::Ssm(parameter)) => {
                let parameter = parameter.clone();
                Some((slot, parameter))
            }
            _ => None,
        })
        .collect()
}

/// Resolves the SSM secrets of `config` in place. Sends nothing when there are none.
pub async fn resolve(config: &mut Config) -> Result<(), SsmError> {
    let wanted = wanted(config);
    if wanted.is_empty() {
        return Ok(());
    }
    let sdk = sweeparr::net::aws_config_loader().load().await;
    let client = aws_sdk_ssm::Client::new(&sdk);
    for (slot, parameter) in wanted {
        let failed = |reason: String| SsmError {
            key: slot.key(),
            parameter: parameter.clone(),
            reason,
        };
        let out = client
            .get_parameter()
            .name(&parameter)
            .with_decryption(true)
            .send()
            .await
            .map_err(|e| failed(aws_sdk_ssm::error::DisplayErrorContext(&e).to_string()))?;
        let value = out
            .parameter()
            .and_then(|p| p.value())
            .ok_or_else(|| failed("the parameter has no value".into()))?
            .to_string();
        slot.fill(config, Secret::new(value));
    }
    Ok(())
}
