//! The citizen's path, from a scanned QR code to a stored answer: the service layer
//! between the survey handlers and storage. It resolves tokens, screens submissions,
//! applies rate limits and stores each response exactly once.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use moka::future::Cache;
use sipas_domain::campaign::Channel;
use sipas_domain::questionnaire::{Answers, Questionnaire};
use sipas_domain::screening::screen;
use sipas_domain::token::{SigningKeys, SurveyToken};

use crate::rate_limit::{Check, RateLimiter, RateLimits};
use crate::redis_store::RedisStore;
use crate::scores::ScoreBook;
use crate::storage::{
    CampaignRecord, NewResponse, Storage, StorageError, Submission, SurveyPlace, campaigns, kiosks,
    receipts, responses, units,
};
use crate::submissions::SubmissionQueue;

/// How long a desk's place (unit, desk names) is cached. The campaign's status is not
/// cached here: it comes from the score book's follower, and the write itself checks it.
const PLACE_TTL: Duration = Duration::from_secs(30);
/// How long the last place and receipt read from the database are kept, to show the
/// form again (with the citizen's answers) while the database is out of reach.
const OUTAGE_TTL: Duration = Duration::from_secs(24 * 3600);
/// The longest comment kept, in characters (the form's `maxlength`).
pub const COMMENT_MAX_CHARS: usize = sipas_templates::survey::COMMENT_MAX_CHARS;

#[derive(Debug, thiserror::Error)]
pub enum CitizenError {
    /// A forged, truncated or unknown token, or an expired receipt: a 404 page.
    #[error("no survey behind this token")]
    NotFound,
    /// The campaign is not taking answers (draft or closed).
    #[error("campaign {0} is not open")]
    Closed(String),
    /// A kiosk link a manager has regenerated or revoked since.
    #[error("kiosk link revoked")]
    KioskRevoked,
    #[error(transparent)]
    Storage(#[from] StorageError),
}

/// A token that verified, and what it points at.
#[derive(Debug, Clone)]
pub struct OpenSurvey {
    pub token: SurveyToken,
    pub campaign: CampaignRecord,
    pub place: Arc<SurveyPlace>,
    pub questionnaire: Arc<Questionnaire>,
    pub receipt_id: Option<i32>,
    /// A receipt that was already used: show "already answered", store nothing.
    pub already_answered: bool,
    /// Opened through the desk's kiosk link, on its shared tablet.
    pub kiosk: bool,
}

/// A posted form, as the handler read it.
pub struct PostedForm<'a> {
    pub fields: &'a HashMap<String, String>,
    pub language: &'static str,
    /// A random id the browser keeps in a cookie, when it has one.
    pub device: Option<&'a str>,
    /// The client's network address, only ever stored as a daily-salted hash.
    pub address: Option<String>,
}

/// What became of a posted form.
#[derive(Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Stored (or stored before, for a repeated form): show "thank you".
    Accepted,
    /// Re-show the form with these answers kept and these criteria marked.
    Incomplete {
        answered: Vec<(String, u8)>,
        missing: Vec<String>,
    },
    /// The form's nonce did not verify (tampered, or signed with a retired key):
    /// re-show the form, these answers kept, with a fresh nonce.
    StaleForm { answered: Vec<(String, u8)> },
    /// Too many submissions from this device, address or desk just now.
    RateLimited,
    /// The receipt was answered before: nothing stored.
    AlreadyAnswered,
}

/// The answers a form gives, each criterion's code with its value, whether or not
/// every question was answered: what a re-shown form keeps checked.
pub fn answered(
    questionnaire: &Questionnaire,
    fields: &HashMap<String, String>,
) -> Vec<(String, u8)> {
    let parsed = Answers::from_form(questionnaire, |name| fields.get(name).map(String::as_str));
    answered_in(questionnaire, &parsed)
}

fn answered_in(
    questionnaire: &Questionnaire,
    parsed: &Result<Answers, sipas_domain::questionnaire::IncompleteForm>,
) -> Vec<(String, u8)> {
    match parsed {
        Ok(answers) => questionnaire
            .criteria()
            .zip(answers.values())
            .map(|((_, c), v)| (c.code.clone(), *v))
            .collect(),
        Err(incomplete) => incomplete.answered.clone(),
    }
}

pub struct CitizenService {
    storage: Storage,
    keys: SigningKeys,
    redis: Arc<RedisStore>,
    scores: ScoreBook,
    queue: SubmissionQueue,
    limiter: RateLimiter,
    limits: RateLimits,
    /// `SIPAS_BENCHMARK`: a form sent at once is not flagged too fast.
    min_fill_lifted: bool,
    /// By desk and campaign revision: renaming or closing a unit or desk bumps every
    /// campaign's revision, so every node stops using what it kept at its next read.
    places: Cache<(i32, i64), Arc<SurveyPlace>>,
    /// The last place and receipt read, by id, used only when the database is out of
    /// reach: the form is shown again with the answers kept, and nothing is stored
    /// until the database answers (the write checks everything again).
    last_places: Cache<i32, Arc<SurveyPlace>>,
    last_receipts: Cache<i32, receipts::ReceiptRecord>,
    /// The daily keys client addresses are hashed with, by Vietnam's day.
    address_keys: Cache<chrono::NaiveDate, Arc<Vec<u8>>>,
}

impl CitizenService {
    pub fn new(
        storage: Storage,
        keys: SigningKeys,
        redis: Arc<RedisStore>,
        scores: ScoreBook,
        limits: RateLimits,
        redis_prefix: &str,
        benchmark: bool,
    ) -> Self {
        let queue = SubmissionQueue::start(storage.clone());
        Self {
            queue,
            storage,
            keys,
            redis,
            scores,
            limiter: RateLimiter::new(redis_prefix),
            limits,
            min_fill_lifted: benchmark,
            places: Cache::builder()
                .max_capacity(50_000)
                .time_to_live(PLACE_TTL)
                .build(),
            last_places: Cache::builder()
                .max_capacity(50_000)
                .time_to_live(OUTAGE_TTL)
                .build(),
            last_receipts: Cache::builder()
                .max_capacity(100_000)
                .time_to_live(OUTAGE_TTL)
                .build(),
            // A purged key must not live on here: a day's key is kept for an hour.
            address_keys: Cache::builder()
                .max_capacity(4)
                .time_to_live(Duration::from_secs(3600))
                .build(),
        }
    }

    pub fn keys(&self) -> &SigningKeys {
        &self.keys
    }

    /// Resolves a token from a URL; anything wrong with it is `NotFound`.
    pub async fn open(&self, token: &str) -> Result<OpenSurvey, CitizenError> {
        let verified = self
            .keys
            .verify(token)
            .map_err(|_| CitizenError::NotFound)?;
        let id = |v: i64| i32::try_from(v).map_err(|_| CitizenError::NotFound);
        let campaign_id = id(verified.campaign_id())?;
        let (service_point_id, receipt) = match verified {
            SurveyToken::Desk {
                service_point_id, ..
            } => (id(service_point_id)?, None),
            SurveyToken::Receipt { receipt_id, .. } => {
                let receipt = self
                    .receipt(id(receipt_id)?)
                    .await?
                    .filter(|r| r.campaign_id == campaign_id)
                    .ok_or(CitizenError::NotFound)?;
                if receipt.expires_at <= Utc::now() && receipt.answered_at.is_none() {
                    return Err(CitizenError::NotFound);
                }
                (receipt.service_point_id, Some(receipt))
            }
        };
        self.open_place(verified, (campaign_id, service_point_id), receipt)
            .await
    }

    /// Resolves a kiosk link's token: `NotFound` for an unknown one, `KioskRevoked`
    /// for one a manager has withdrawn.
    pub async fn open_kiosk(&self, token: &str) -> Result<OpenSurvey, CitizenError> {
        // Only hashes of well-formed tokens are looked up.
        let well_formed = token.len() == 43
            && token
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
        if !well_formed {
            return Err(CitizenError::NotFound);
        }
        let hash = crate::kiosks::token_hash(token);
        let kiosk = kiosks::by_token_hash(self.storage.db(), &hash)
            .await?
            .ok_or(CitizenError::NotFound)?;
        if kiosk.revoked_at.is_some() {
            return Err(CitizenError::KioskRevoked);
        }
        let verified = SurveyToken::Desk {
            campaign_id: i64::from(kiosk.campaign_id),
            service_point_id: i64::from(kiosk.service_point_id),
        };
        let mut survey = self
            .open_place(verified, (kiosk.campaign_id, kiosk.service_point_id), None)
            .await?;
        survey.kiosk = true;
        Ok(survey)
    }

    async fn open_place(
        &self,
        verified: SurveyToken,
        (campaign_id, service_point_id): (i32, i32),
        receipt: Option<crate::storage::ReceiptRecord>,
    ) -> Result<OpenSurvey, CitizenError> {
        let current = match self.scores.state(campaign_id) {
            Some(current) => current,
            // A campaign created a moment ago on another node: one follower read.
            None => {
                self.scores.catch_up().await;
                self.scores
                    .state(campaign_id)
                    .ok_or(CitizenError::NotFound)?
            }
        };
        let campaign = current.description.campaign.clone();
        let place = self.place(service_point_id, campaign.revision).await?;
        if !campaign.status.accepts_responses()
            && receipt.as_ref().is_none_or(|r| r.answered_at.is_none())
        {
            return Err(CitizenError::Closed(campaign.code.clone()));
        }
        // A desk closed since its QR code was printed takes no more answers; a receipt
        // names the desk that served the citizen, which may have closed since.
        if receipt.is_none() && !place.service_point.is_open_on(Utc::now().date_naive()) {
            return Err(CitizenError::Closed(campaign.code.clone()));
        }
        Ok(OpenSurvey {
            token: verified,
            campaign,
            place,
            questionnaire: current.description.questionnaire.clone(),
            already_answered: receipt.as_ref().is_some_and(|r| r.answered_at.is_some()),
            receipt_id: receipt.map(|r| r.id),
            kiosk: false,
        })
    }

    /// A fresh signed nonce for a new form; it also records when the form was issued.
    pub fn new_nonce(&self) -> String {
        self.keys.new_form_nonce(Utc::now().timestamp())
    }

    pub async fn submit(
        &self,
        survey: &OpenSurvey,
        form: PostedForm<'_>,
    ) -> Result<Outcome, CitizenError> {
        let field = |name: &str| form.fields.get(name).map(String::as_str);
        if survey.already_answered {
            // The citizen's own stored form sent again (a double tap, a reload on a slow
            // network) is thanked; only another form is told the receipt was used.
            let nonce = field(sipas_templates::survey::FIELD_NONCE);
            let own = nonce.is_some() && responses::nonce_stored(self.storage.db(), nonce).await?;
            return Ok(if own {
                Outcome::Accepted
            } else {
                Outcome::AlreadyAnswered
            });
        }
        let parsed = Answers::from_form(&survey.questionnaire, field);
        let nonce = field(sipas_templates::survey::FIELD_NONCE).unwrap_or_default();
        let Ok(issued) = self.keys.verify_form_nonce(nonce) else {
            let answered = answered_in(&survey.questionnaire, &parsed);
            return Ok(Outcome::StaleForm { answered });
        };
        let answers = match parsed {
            Ok(answers) => answers,
            Err(incomplete) => {
                return Ok(Outcome::Incomplete {
                    answered: incomplete.answered,
                    missing: incomplete.missing,
                });
            }
        };
        let place = &survey.place;
        let campaign = &survey.campaign;
        let channel = match survey.token {
            _ if survey.kiosk => Channel::Kiosk,
            SurveyToken::Desk { .. } => Channel::DeskQr,
            SurveyToken::Receipt { .. } => Channel::ReceiptQr,
        };
        // A receipt answers once anyway; limits guard the open desk path and kiosks.
        let client_hash = match form.address.as_deref() {
            Some(address) => Some(self.address_hash(address, Utc::now()).await?),
            None => None,
        };
        let hash = client_hash.as_deref();
        let within = match channel {
            Channel::DeskQr => self.within_limits(campaign, place, &form, hash).await,
            Channel::Kiosk => self.within_kiosk_limits(campaign, place, &form, hash).await,
            _ => true,
        };
        if !within {
            return Ok(Outcome::RateLimited);
        }
        let now = Utc::now();
        let exclusion = screen(
            field(sipas_templates::survey::FIELD_HONEYPOT).unwrap_or_default(),
            issued.issued_at_unix,
            now.timestamp(),
            if self.min_fill_lifted {
                0
            } else {
                campaign.rules.min_fill_seconds
            },
        );
        let comment = field(sipas_templates::survey::FIELD_COMMENT)
            .and_then(|c| sipas_domain::text::clean_comment(c, COMMENT_MAX_CHARS));
        let response = NewResponse {
            unit_id: place.unit_id,
            service_point_id: place.service_point.id,
            channel,
            language: form.language,
            answers,
            comment,
            submitted_at: now,
            exclusion: exclusion.map(|e| e.as_str()),
            nonce: Some(nonce.to_owned()),
            receipt_id: survey.receipt_id,
            client_hash,
            is_demo: campaign.is_demo,
        };
        // Desk answers share commits; a receipt is claimed in its own transaction.
        let stored = match response.receipt_id {
            None => self.queue.submit(campaign, response).await?,
            Some(receipt_id) => {
                // Bounded like the desks' group commit (see submissions.rs).
                let bound = self.storage.timeout() * 2 + Duration::from_secs(3);
                tokio::time::timeout(
                    bound,
                    self.submit_with_receipt(campaign, receipt_id, &response),
                )
                .await
                .unwrap_or_else(|_| {
                    Err(StorageError::Unavailable(format!(
                        "the database did not answer within {bound:?}"
                    )))
                })?
            }
        };
        Ok(match stored {
            Submission::Stored => {
                // Committed. The follower counts it from the database; wake it now.
                self.scores.wake();
                Outcome::Accepted
            }
            Submission::Repeated => Outcome::Accepted,
            Submission::AlreadyAnswered => Outcome::AlreadyAnswered,
            Submission::Closed => return Err(CitizenError::Closed(campaign.code.clone())),
        })
    }

    /// Stores a receipt's response and marks the receipt answered in one transaction,
    /// so a receipt never carries two responses; a repeated form finds its first copy.
    async fn submit_with_receipt(
        &self,
        campaign: &CampaignRecord,
        receipt_id: i32,
        response: &NewResponse,
    ) -> Result<Submission, StorageError> {
        let nonce = response.nonce.as_deref();
        let txn = self.storage.write().await?;
        if !campaigns::lock_open(&txn, [campaign.id])
            .await?
            .contains(&campaign.id)
        {
            txn.rollback().await?;
            return Ok(Submission::Closed);
        }
        if responses::nonce_stored(&txn, nonce).await? {
            txn.rollback().await?;
            return Ok(Submission::Repeated);
        }
        if !receipts::claim(&txn, receipt_id, response.submitted_at).await? {
            // Another submission answered it; the same form, or another one?
            txn.rollback().await?;
            return Ok(
                if responses::nonce_stored(self.storage.db(), nonce).await? {
                    Submission::Repeated
                } else {
                    Submission::AlreadyAnswered
                },
            );
        }
        if !responses::store_one(&txn, campaign, response).await? {
            // The same form committed a moment ago by another node: its claim stands.
            txn.rollback().await?;
            return Ok(Submission::Repeated);
        }
        txn.commit().await?;
        Ok(Submission::Stored)
    }

    async fn within_limits(
        &self,
        campaign: &CampaignRecord,
        place: &SurveyPlace,
        form: &PostedForm<'_>,
        client_hash: Option<&str>,
    ) -> bool {
        let limits = self.limits;
        let desk = format!("desk:{}:{}", campaign.id, place.service_point.id);
        let mut checks = vec![Check::new(desk.clone(), limits.per_desk)];
        if let Some(address) = client_hash {
            checks.push(Check::new(format!("addr:{address}"), limits.per_address));
            // Past the threshold, each address adds only its share to the desk.
            checks.push(
                Check::new(format!("share:{desk}:{address}"), limits.desk_share)
                    .from(0, limits.desk_share_from),
            );
            if form.device.is_none() {
                checks.push(Check::new(
                    format!("nodev:{address}"),
                    limits.without_device,
                ));
            }
        }
        if let Some(device) = form.device {
            let key = format!("dev:{}", self.keys.keyed_hash("device", device.as_bytes()));
            checks.push(Check::new(key, limits.per_device));
        }
        self.limiter.allow(&self.redis, &checks).await
    }

    /// A shared tablet answers for one citizen after another: it is limited per desk
    /// and per tablet (its cookie, else its address), not per device.
    async fn within_kiosk_limits(
        &self,
        campaign: &CampaignRecord,
        place: &SurveyPlace,
        form: &PostedForm<'_>,
        client_hash: Option<&str>,
    ) -> bool {
        let limits = self.limits;
        let tablet = match (form.device, client_hash) {
            (Some(cookie), _) => self.keys.keyed_hash("tablet", cookie.as_bytes()),
            (None, Some(address)) => format!("addr:{address}"),
            (None, None) => "unknown".to_owned(),
        };
        let checks = [
            Check::new(
                format!("kiosk:{}:{}", campaign.id, place.service_point.id),
                limits.per_kiosk,
            ),
            Check::new(format!("tablet:{tablet}"), limits.per_tablet),
        ];
        self.limiter.allow(&self.redis, &checks).await
    }

    /// A client address is kept only as a hash under the day's own random key
    /// (`storage::address_keys`), so addresses cannot be read back nor linked across
    /// days, and once the key is purged not even with the database and the secret.
    async fn address_hash(
        &self,
        address: &str,
        at: chrono::DateTime<Utc>,
    ) -> Result<String, StorageError> {
        let day = sipas_domain::campaign::vietnam_time(at).date();
        let db = self.storage.db().clone();
        let key = self
            .address_keys
            .try_get_with(day, async move {
                crate::storage::address_keys::key_for(&db, day)
                    .await
                    .map(Arc::new)
            })
            .await
            .map_err(|e| StorageError::Unavailable(e.to_string()))?;
        Ok(crate::storage::address_keys::hash_address(&key, address))
    }

    async fn place(
        &self,
        service_point_id: i32,
        revision: i64,
    ) -> Result<Arc<SurveyPlace>, CitizenError> {
        if let Some(place) = self.places.get(&(service_point_id, revision)).await {
            return Ok(place);
        }
        let place = match units::survey_place(self.storage.db(), service_point_id).await {
            Ok(place) => Arc::new(place.ok_or(CitizenError::NotFound)?),
            Err(error) => {
                let last = self.last_places.get(&service_point_id).await;
                return last.ok_or(CitizenError::Storage(error));
            }
        };
        self.places
            .insert((service_point_id, revision), place.clone())
            .await;
        self.last_places
            .insert(service_point_id, place.clone())
            .await;
        Ok(place)
    }

    /// A receipt's row; the last one read while the database is out of reach.
    async fn receipt(&self, id: i32) -> Result<Option<receipts::ReceiptRecord>, CitizenError> {
        match receipts::by_id(self.storage.db(), id).await {
            Ok(found) => {
                if let Some(receipt) = &found {
                    self.last_receipts.insert(id, receipt.clone()).await;
                }
                Ok(found)
            }
            Err(error) => match self.last_receipts.get(&id).await {
                Some(last) => Ok(Some(last)),
                None => Err(error.into()),
            },
        }
    }
}
