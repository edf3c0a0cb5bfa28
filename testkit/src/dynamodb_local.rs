//! DynamoDB Local in a container (testcontainers), for contributors whose Docker engine
//! answers; [`super::moto::dynamo_endpoint`] decides when to use it.
//!
//! The container lives on a thread of its own with its own async runtime, so the endpoint can
//! be started and dropped from synchronous code and from inside any test's runtime alike.

use std::sync::mpsc;
use std::thread::JoinHandle;
use std::time::Duration;

use testcontainers::core::{IntoContainerPort, WaitFor};
use testcontainers::runners::AsyncRunner;
use testcontainers::{GenericImage, ImageExt};

/// Port DynamoDB Local listens on inside the container.
const PORT: u16 = 8000;
/// Image pull and start may take this long.
const START_PATIENCE: Duration = Duration::from_secs(180);

/// Keeps the container running; dropping it removes the container.
pub struct ContainerGuard {
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl Drop for ContainerGuard {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// Starts `image` (name, tag) in memory with a shared database; returns its endpoint URL and
/// the guard that stops it.
pub fn start(image: (&str, &str)) -> Result<(String, ContainerGuard), String> {
    let (name, tag) = (image.0.to_string(), image.1.to_string());
    let (url_tx, url_rx) = mpsc::channel::<Result<String, String>>();
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let thread = std::thread::spawn(move || {
        let runtime = match tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
        {
            Ok(rt) => rt,
            Err(e) => {
                let _ = url_tx.send(Err(format!("runtime: {e}")));
                return;
            }
        };
        runtime.block_on(async move {
            let request = GenericImage::new(name, tag)
                .with_exposed_port(PORT.tcp())
                .with_wait_for(WaitFor::message_on_stdout("Initializing DynamoDB Local"))
                .with_cmd(["-jar", "DynamoDBLocal.jar", "-inMemory", "-sharedDb"])
                .with_startup_timeout(START_PATIENCE);
            let container = match request.start().await {
                Ok(c) => c,
                Err(e) => {
                    let _ = url_tx.send(Err(format!("start: {e}")));
                    return;
                }
            };
            let address = async {
                let host = container.get_host().await?;
                let port = container.get_host_port_ipv4(PORT).await?;
                Ok::<_, testcontainers::TestcontainersError>(format!("http://{host}:{port}"))
            }
            .await;
            let _ = url_tx.send(address.map_err(|e| format!("port: {e}")));
            let _ = stop_rx.await;
            let _ = container.rm().await;
        });
    });
    let mut guard = ContainerGuard {
        stop: Some(stop_tx),
        thread: Some(thread),
    };
    match url_rx.recv_timeout(START_PATIENCE + Duration::from_secs(10)) {
        Ok(Ok(url)) => Ok((url, guard)),
        Ok(Err(e)) => Err(e),
        Err(_) => {
            // Still starting: leave the thread be rather than wait for it.
            guard.thread = None;
            Err("DynamoDB Local did not start in time".to_string())
        }
    }
}
