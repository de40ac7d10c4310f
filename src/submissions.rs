//! Group commit of desk submissions: citizens' responses that arrive together are
//! stored in one transaction by a single writer task, so many answers share one commit
//! (and, on SQLite, writers never queue on the database lock). Each citizen is answered
//! only after the transaction holding their response has committed.

use std::time::Duration;

use tokio::sync::{mpsc, oneshot};

use crate::storage::{CampaignRecord, NewResponse, Storage, StorageError, Submission, responses};

/// At most this many responses share one transaction.
const MAX_BATCH: usize = 256;

struct Job {
    campaign: CampaignRecord,
    response: NewResponse,
    reply: oneshot::Sender<Result<Submission, String>>,
}

#[derive(Clone)]
pub struct SubmissionQueue {
    jobs: mpsc::Sender<Job>,
}

/// Stores one batch in one transaction; each job's outcome, or the error that undid
/// the whole batch. A database that stops answering mid-transaction (a network that
/// drops packets rather than the connection) would hold the single writer, and every
/// citizen behind it, for minutes: the batch is given up after a bound, its citizens
/// are told to send again, and their nonces make the resend count once whether or not
/// the commit landed.
async fn store(storage: &Storage, batch: &[Job]) -> Result<Vec<Submission>, StorageError> {
    let bound = storage.timeout() * 2 + Duration::from_secs(3);
    let pairs: Vec<(&CampaignRecord, &NewResponse)> =
        batch.iter().map(|j| (&j.campaign, &j.response)).collect();
    let write = async {
        // PostgreSQL: the batch is one statement, committed on its own.
        if storage.backend() == sea_orm::DbBackend::Postgres {
            return responses::store_batch(storage.db(), &pairs).await;
        }
        let txn = storage.write().await?;
        let outcomes = responses::store_batch(&txn, &pairs).await?;
        txn.commit().await?;
        Ok(outcomes)
    };
    tokio::time::timeout(bound, write)
        .await
        .unwrap_or_else(|_| {
            Err(StorageError::Unavailable(format!(
                "the database did not answer within {bound:?}"
            )))
        })
}

impl SubmissionQueue {
    /// Starts the writer task on the current runtime.
    pub fn start(storage: Storage) -> Self {
        let (jobs, mut queue) = mpsc::channel::<Job>(MAX_BATCH * 8);
        tokio::spawn(async move {
            let mut batch = Vec::with_capacity(MAX_BATCH);
            // Whatever arrived while the previous batch was committing forms the next.
            while queue.recv_many(&mut batch, MAX_BATCH).await > 0 {
                match store(&storage, &batch).await {
                    Ok(outcomes) => {
                        for (job, outcome) in batch.drain(..).zip(outcomes) {
                            let _ = job.reply.send(Ok(outcome));
                        }
                    }
                    // One response the database refuses must not undo its neighbours':
                    // each is tried again in a transaction of its own, so only it fails.
                    // (Not when the database is out of reach: that fails them all.)
                    Err(error)
                        if batch.len() > 1 && !matches!(error, StorageError::Unavailable(_)) =>
                    {
                        tracing::warn!(%error, size = batch.len(), "a batch failed; storing its responses one by one");
                        for job in batch.drain(..) {
                            let outcome = store(&storage, std::slice::from_ref(&job)).await;
                            let _ = job.reply.send(match outcome {
                                Ok(mut one) => one.pop().ok_or_else(|| "no outcome".to_owned()),
                                Err(error) => {
                                    tracing::error!(%error, "a submission failed");
                                    Err(error.to_string())
                                }
                            });
                        }
                    }
                    Err(error) => {
                        tracing::error!(%error, "a submission failed");
                        // The database is out of reach: those who queued meanwhile have
                        // waited as long as this batch; they hear the same now rather
                        // than wait once more (each keeps the form to send again).
                        if matches!(error, StorageError::Unavailable(_)) {
                            while let Ok(job) = queue.try_recv() {
                                batch.push(job);
                            }
                        }
                        for job in batch.drain(..) {
                            let _ = job.reply.send(Err(error.to_string()));
                        }
                    }
                }
            }
        });
        Self { jobs }
    }

    /// Stores one desk response; returns once it is committed.
    pub async fn submit(
        &self,
        campaign: &CampaignRecord,
        response: NewResponse,
    ) -> Result<Submission, StorageError> {
        let (reply, answer) = oneshot::channel();
        let job = Job {
            campaign: campaign.clone(),
            response,
            reply,
        };
        let gone = || StorageError::Unavailable("the submission writer has stopped".into());
        self.jobs.send(job).await.map_err(|_| gone())?;
        answer
            .await
            .map_err(|_| gone())?
            .map_err(StorageError::Unavailable)
    }
}
