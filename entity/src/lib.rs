//! sea-orm entities, one per table of the `migration` crate.

pub mod api_client;
pub mod appraisal;
pub mod audit_event;
pub mod campaign;
pub mod frame;
pub mod kiosk;
pub mod par_points;
pub mod par_scheme;
pub mod questionnaire;
pub mod questionnaire_criterion;
pub mod questionnaire_element;
pub mod quota;
pub mod receipt;
pub mod response;
pub mod service_point;
pub mod setting;
pub mod snapshot;
pub mod staff_session;
pub mod staff_visit;
pub mod unit;
pub mod unit_succession;
pub mod unit_type;
pub mod user;
pub mod webhook;
pub mod webhook_delivery;
pub mod webhook_event;
